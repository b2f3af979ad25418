"""The replication connection, pg_hba.conf and the connection path, against real servers.

CDC311 and CDC312 are run on the facts collected here: the refusal each finding quotes is the
one the server gave (or, for a connector role, the one a real connection attempt gets).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import threading
from collections.abc import Callable, Iterator

import psycopg
import pytest

from audit.collect import collect_facts
from audit.demo.localpg import LocalPostgres
from audit.engine import Severity, Status
from audit.facts import Facts
from rules.cdc311_replication_connection_fails import replication_connection_fails as CDC311
from rules.cdc312_pooler_in_front import pooler_in_front as CDC312
from tests.conftest import ServerPool
from tests.factories import fix_text, run

pytestmark = pytest.mark.pg

PASSWORD = "repl-secret-7"
_names = itertools.count()


def _role(server: LocalPostgres, dbname: str, options: str) -> str:
    name = f"repl_{os.getpid()}_{next(_names)}"
    with server.connect(dbname) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}' {options}")
    return name


def test_a_replication_role_opens_the_connection_and_identifies_the_system(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    user = _role(pg_server, fresh_db, "REPLICATION IN ROLE pg_monitor")
    facts = collect_from(pg_server, fresh_db, user=user, password=PASSWORD)
    probe = facts.replication_connection
    assert probe is not None and probe.ok, probe
    assert facts.server is not None
    assert probe.system_identifier == facts.server.system_identifier
    assert probe.dbname == fresh_db
    assert probe.timeline == 1
    assert probe.xlogpos is not None and facts.current_wal_lsn is not None
    assert probe.xlogpos <= facts.current_wal_lsn
    assert run(CDC311, facts).status is Status.PASS
    # pg_hba_file_rules is for superusers; its absence is recorded, not an error
    issue = facts.issue_for("hba_rules")
    assert facts.hba_rules is None and issue is not None
    assert issue.reason == "no privilege to read pg_hba_file_rules"
    # straight to the server over TCP: the same port, address and backend throughout
    path = facts.connection_path
    assert path is not None
    assert (path.port, path.server_port, path.port_setting) == (pg_server.port,) * 3
    assert path.server_addr == path.client_addr == "127.0.0.1"
    assert len(set(path.backend_pids)) == 1 and len(path.backend_pids) == 2
    assert path.protocol_pid == path.backend_pids[0]
    assert run(CDC312, facts).status is Status.PASS


def test_a_role_without_replication_is_not_attempted(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    user = _role(pg_server, fresh_db, "IN ROLE pg_monitor")
    offset = pg_server.log_path.stat().st_size
    facts = collect_from(pg_server, fresh_db, user=user, password=PASSWORD)
    probe = facts.replication_connection
    assert probe is not None
    assert (probe.attempted, probe.ok) == (False, None)
    result = run(CDC311, facts)
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == f"not attempted: role {user} lacks REPLICATION"
    # the server saw no walsender start for the role
    log = pg_server.log_path.read_text(encoding="utf-8", errors="replace")[offset:]
    assert "start walsender" not in log


def test_no_wal_sender_left_is_quoted_from_the_server(
    server_pool: ServerPool, pg_major: int, make_db: Callable[[LocalPostgres], str]
) -> None:
    server = server_pool.get(pg_major, {"wal_level": "replica", "max_wal_senders": "0"})
    dbname = make_db(server)
    user = _role(server, dbname, "REPLICATION")
    conninfo = server.conninfo(dbname, user=user, password=PASSWORD)
    facts = collect_facts(conninfo, sample_seconds=0, read_probe=False)
    probe = facts.replication_connection
    assert probe is not None and probe.ok is False
    assert probe.stage == "connect"
    refusal = "number of requested standby connections exceeds max_wal_senders (currently 0)"
    assert probe.error is not None
    assert probe.error.replace('"', "") == refusal  # 18 quotes the setting's name
    assert PASSWORD not in facts.model_dump_json()
    result = run(CDC311, facts)
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        f"a replication connection to database {dbname} as role {user} fails (connecting): "
        f"{probe.error}"
    )
    assert "raise max_wal_senders" in fix_text(finding)
    assert finding.evidence["hba_unread"] == "no privilege to read pg_hba_file_rules"


HBA_WITHOUT_CONNECTOR = """\
local   all             all                                     trust
host    all             postgres        127.0.0.1/32            scram-sha-256
# written for the connector, but a logical replication connection never matches it
host    replication     {connector}     127.0.0.1/32            scram-sha-256
"""


@pytest.fixture
def hba_server(server_pool: ServerPool, pg_major: int) -> Iterator[LocalPostgres]:
    """A server of this module's own, whose pg_hba.conf the test rewrites (restored after)."""
    server = server_pool.get(pg_major, {"wal_level": "logical", "cluster_name": "hba-test"})
    hba = server.data_dir / "pg_hba.conf"
    original = hba.read_text()
    yield server
    hba.write_text(original)
    server.reload()


def test_a_connector_role_without_a_database_line_is_refused_as_predicted(
    hba_server: LocalPostgres, make_db: Callable[[LocalPostgres], str]
) -> None:
    server = hba_server
    dbname = make_db(server)
    connector = _role(server, dbname, "REPLICATION")
    (server.data_dir / "pg_hba.conf").write_text(HBA_WITHOUT_CONNECTOR.format(connector=connector))
    server.reload()
    facts = collect_facts(server.conninfo(dbname), sample_seconds=0, read_probe=False)
    assert facts.hba_rules is not None
    assert [r.line_number for r in facts.hba_rules] == [1, 2, 4]
    probe = facts.replication_connection
    assert probe is not None and probe.ok  # the superuser's own connection works
    result = run(CDC311, facts, connector_role=connector)
    [finding] = result.findings
    assert finding.subject == f"role:{connector}"
    predicted = (
        f'no pg_hba.conf entry for host "127.0.0.1", user "{connector}", database "{dbname}"'
    )
    assert finding.message.endswith(f"the server would answer: {predicted}")
    # the session has no SSL here: the line to add is a host line for the database
    assert f"host   {dbname}   {connector}   127.0.0.1/32   scram-sha-256" in fix_text(finding)
    # what the server really answers the connector's logical replication connection
    connector_info = server.conninfo(dbname, user=connector, password=PASSWORD)
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(connector_info, replication="database")
    assert predicted in str(refused.value)
    # ... while the replication line does admit a physical replication connection
    with psycopg.connect(connector_info, replication="true", autocommit=True) as physical:
        assert physical.execute("IDENTIFY_SYSTEM").fetchone() is not None


def test_a_reject_line_for_the_connector_role_is_named(
    hba_server: LocalPostgres, make_db: Callable[[LocalPostgres], str]
) -> None:
    """The line that rejects the connector's role is named, and the server does reject it."""
    server = hba_server
    dbname = make_db(server)
    connector = _role(server, dbname, "REPLICATION")
    hba = server.data_dir / "pg_hba.conf"
    hba.write_text(
        f"host all {connector} 127.0.0.1/32 reject\n" + hba.read_text(), encoding="utf-8"
    )
    server.reload()
    facts = collect_facts(server.conninfo(dbname), sample_seconds=0, read_probe=False)
    [finding] = run(CDC311, facts, connector_role=connector).findings
    assert f"pg_hba.conf line 1: host all {connector} 127.0.0.1/32 reject rejects it" in (
        finding.message
    )
    with pytest.raises(psycopg.OperationalError, match=r"pg_hba\.conf rejects connection"):
        psycopg.connect(
            server.conninfo(dbname, user=connector, password=PASSWORD), replication="database"
        )


class _Forwarder:
    """A TCP forwarder on another port of 127.0.0.1: the bytes pass, the port changes."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forwarder", daemon=True)

    def __enter__(self) -> _Forwarder:
        self._thread.start()
        assert self._started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port)
        )
        self._started.set()
        self._loop.run_forever()
        server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


def test_a_forwarded_port_is_a_warning_with_the_evidence(
    pg_server: LocalPostgres, fresh_db: str
) -> None:
    with _Forwarder(pg_server.port) as forwarder:
        conninfo = pg_server.conninfo(fresh_db).replace(
            f"port={pg_server.port}", f"port={forwarder.port}"
        )
        facts = collect_facts(conninfo, sample_seconds=0, read_probe=False)
    path = facts.connection_path
    assert path is not None
    assert (path.port, path.server_port) == (forwarder.port, pg_server.port)
    result = run(CDC312, facts)
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.LOW
    assert finding.evidence["signs"] == ["port_forwarded"]
    assert finding.message == (
        f"127.0.0.1:{forwarder.port} is not the server itself: port {forwarder.port} was "
        f"connected to but the server accepted on {pg_server.port}: something forwards the "
        "connection"
    )
    # a byte-for-byte forwarder passes the replication protocol too
    assert facts.replication_connection is not None and facts.replication_connection.ok
    assert run(CDC311, facts).status is Status.PASS
