"""Issue 12's rules against real servers: collect the facts, run the rule, read its verdict.

Each test builds the one condition its rule looks for (a consumer streaming from the
connector's slot, a timeout set on a role, a LATIN1 database, a failing archiver, an inactive
slot) on a server started by the tests, collects the facts the way ``cdc-preflight audit``
does, and runs the rule on them. tests/rules/ holds the pass/fail/edge cases on fact fixtures;
tests/test_catalogue_live.py checks that the clean server stays clean.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from audit.collect import collect_facts
from audit.demo.localpg import LocalPostgres
from audit.engine import Finding, Status
from audit.facts import Facts
from rules.cdc017_database_encoding_not_utf8 import database_encoding_not_utf8
from rules.cdc018_wal_archiving_failing import wal_archiving_failing
from rules.cdc019_output_plugin_missing import output_plugin_missing
from rules.cdc116_dms_unsupported_columns import dms_unsupported_columns
from rules.cdc117_dms_lob_keys import dms_lob_keys
from rules.cdc118_dms_lob_truncation import dms_lob_truncation
from rules.cdc119_dms_case_colliding_names import dms_case_colliding_names
from rules.cdc201_inactive_slot_retaining_wal import inactive_slot_retaining_wal
from rules.cdc205_connector_slot_conflict import connector_slot_conflict
from rules.cdc310_connector_session_timeouts import connector_session_timeouts
from tests.conftest import ServerPool
from tests.factories import run

pytestmark = pytest.mark.pg


def _collect(server: LocalPostgres, dbname: str, **kwargs: Any) -> Facts:
    kwargs.setdefault("sample_seconds", 0)
    kwargs.setdefault("read_probe", False)
    return collect_facts(server.conninfo(dbname), **kwargs)


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


# --------------------------------------------------------------------------- CDC205


@pytest.fixture
def shared_slot(
    pg_logical: LocalPostgres, make_db: Callable[[LocalPostgres], str]
) -> Iterator[tuple[str, str]]:
    """A logical slot another consumer (pg_recvlogical, "audit-log-shipper") streams from."""
    dbname = make_db(pg_logical)
    slot = f"{dbname}_shared"
    with pg_logical.connect(dbname) as conn:
        conn.execute("SELECT pg_create_logical_replication_slot(%s, 'test_decoding')", [slot])
    consumer = subprocess.Popen(
        [
            str(pg_logical.bin("pg_recvlogical")),
            "--dbname",
            f"{pg_logical.conninfo(dbname)} application_name=audit-log-shipper",
            "--slot",
            slot,
            "--start",
            "--file",
            "-",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("PG")},
    )

    def active() -> bool:
        with pg_logical.connect(dbname) as conn:
            row = conn.execute(
                "SELECT active FROM pg_replication_slots WHERE slot_name = %s", [slot]
            ).fetchone()
        return bool(row and row[0])

    try:
        _wait_for(active, 15, f"pg_recvlogical to stream from {slot}")
        yield dbname, slot
    finally:
        consumer.terminate()
        consumer.wait(timeout=30)
        _wait_for(lambda: not active(), 15, f"slot {slot} to be released")
        with pg_logical.connect(dbname) as conn:
            conn.execute("SELECT pg_drop_replication_slot(%s)", [slot])


def test_cdc205_slot_streamed_by_another_consumer(
    pg_logical: LocalPostgres, shared_slot: tuple[str, str]
) -> None:
    dbname, slot = shared_slot
    facts = _collect(pg_logical, dbname)
    options = {"slot_name": slot, "plugin": "test_decoding"}
    result = run(connector_slot_conflict, facts, **options)
    [finding] = result.findings
    assert finding.message.startswith(
        f"slot {slot}, the connector's slot.name, is in use by audit-log-shipper (pid "
    )
    assert "user postgres, from 127.0.0.1" in finding.message
    ours = run(
        connector_slot_conflict, facts, consumer_application_name="audit-log-shipper", **options
    )
    assert ours.status is Status.PASS


# --------------------------------------------------------------------------- CDC310


def test_cdc310_role_timeouts_read_by_a_least_privilege_auditor(
    pg_server: LocalPostgres, make_db: Callable[[LocalPostgres], str]
) -> None:
    dbname = make_db(pg_server)
    connector, auditor = f"{dbname}_dbz", f"{dbname}_audit"
    with pg_server.connect(dbname) as conn:
        conn.execute("CREATE TABLE public.orders (id bigint PRIMARY KEY, note text)")
        conn.execute("INSERT INTO public.orders SELECT g, 'n' FROM generate_series(1, 100000) g")
        conn.execute("ANALYZE public.orders")
        conn.execute(f"CREATE ROLE {connector} LOGIN REPLICATION")
        conn.execute(f"ALTER ROLE {connector} IN DATABASE {dbname} SET statement_timeout = '10ms'")
        conn.execute(f"ALTER ROLE {connector} SET idle_in_transaction_session_timeout = '5min'")
        conn.execute(f"CREATE ROLE {auditor} LOGIN PASSWORD 'x-pass' IN ROLE pg_monitor")
        conn.execute(f"GRANT SELECT ON public.orders TO {auditor}")
    facts = collect_facts(
        pg_server.conninfo(dbname, user=auditor, password="x-pass"),
        sample_seconds=0,
        read_probe=False,
    )
    assert facts.role_settings is not None, facts.issues
    mine = {(r.database, r.role, r.name, r.value) for r in facts.role_settings}
    assert mine >= {
        (dbname, connector, "statement_timeout", "10ms"),
        (None, connector, "idle_in_transaction_session_timeout", "5min"),
    }
    result = run(connector_session_timeouts, facts, connector_role=connector)
    found = {f.subject: f for f in result.findings}
    assert set(found) == {
        "setting:statement_timeout",
        "setting:idle_in_transaction_session_timeout",
    }, result
    assert f"(role {connector} in database {dbname})" in found["setting:statement_timeout"].message
    assert found["setting:idle_in_transaction_session_timeout"].evidence["milliseconds"] == 300_000
    # the auditing role has no such defaults: its sessions would run the snapshot unharmed
    assert run(connector_session_timeouts, facts).status is Status.PASS


# --------------------------------------------------------------------------- CDC017


def test_cdc017_latin1_database(pg_server: LocalPostgres) -> None:
    dbname = f"latin1_{os.getpid()}"
    with pg_server.connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {dbname}")
        conn.execute(
            f"CREATE DATABASE {dbname} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"
            " TEMPLATE template0"
        )
    facts = _collect(pg_server, dbname)
    assert facts.databases is not None, facts.issues
    encodings = {d.name: d.encoding for d in facts.databases}
    assert encodings[dbname] == "LATIN1"
    assert encodings["postgres"] == "UTF8"
    [finding] = run(database_encoding_not_utf8, facts).findings
    assert finding.message.startswith(f"database {dbname} is LATIN1, not UTF-8")
    assert run(database_encoding_not_utf8, facts, "native").status is Status.PASS
    assert run(database_encoding_not_utf8, _collect(pg_server, "postgres")).status is Status.PASS


# --------------------------------------------------------------------------- CDC018


def test_cdc018_archive_command_fails(
    server_pool: ServerPool, pg_major: int, make_db: Callable[[LocalPostgres], str]
) -> None:
    server = server_pool.get(
        pg_major,
        {"cluster_name": "archive-failing", "archive_mode": "on", "archive_command": "false"},
    )
    dbname = make_db(server)
    with server.connect(dbname) as conn:
        conn.execute("CREATE TABLE filler AS SELECT g FROM generate_series(1, 1000) g")
        conn.execute("SELECT pg_switch_wal()")
        conn.execute("CHECKPOINT")

    def failed() -> bool:
        with server.connect(dbname) as conn:
            row = conn.execute("SELECT failed_count FROM pg_stat_archiver").fetchone()
        return bool(row and row[0])

    _wait_for(failed, 30, "the archiver to fail")
    facts = _collect(server, dbname)
    assert facts.archiver is not None, facts.issues
    assert facts.archiver.last_archived_wal is None
    [finding] = run(wal_archiving_failing, facts).findings
    assert finding.subject == "archiver:failing"
    assert "nothing was ever archived" in finding.message


# --------------------------------------------------------------------------- CDC201


def test_cdc201_inactive_slot_is_never_passed_silently(
    pg_logical: LocalPostgres, make_db: Callable[[LocalPostgres], str]
) -> None:
    dbname = make_db(pg_logical)
    name = f"{dbname}_idle"
    with pg_logical.connect(dbname) as conn:
        conn.execute("CREATE TABLE hits (id bigserial PRIMARY KEY, at timestamptz)")
        conn.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", [name])
    stop = threading.Event()

    def write() -> None:
        with pg_logical.connect(dbname) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO hits (at) SELECT now() FROM generate_series(1, 100)")
                time.sleep(0.05)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    time.sleep(1.1)  # inactive for over a second before collection starts
    try:
        facts = _collect(pg_logical, dbname, sample_seconds=1.5, interval=0.5)
    finally:
        stop.set()
        writer.join(timeout=30)
        with pg_logical.connect(dbname) as conn:
            conn.execute("SELECT pg_drop_replication_slot(%s)", [name])
    assert facts.sampling is not None, facts.issues

    def mine(**options: Any) -> list[Finding]:
        result = run(inactive_slot_retaining_wal, facts, **options)
        return [f for f in result.findings if f.subject == f"slot:{name}"]

    if pg_logical.version_num < 170000:
        [finding] = mine()
        assert finding.message.startswith(f"slot {name} is inactive and retains ")
        assert "how long it has been inactive is unknown" in finding.message
        assert "stayed inactive through the whole" in finding.message
        # a threshold the window reaches turns the window into evidence in its own right
        [long] = mine(min_inactive_seconds=1)
        assert "inactive and stayed inactive through the whole" in long.message
    else:
        assert mine() == []  # inactive for seconds, known: a consumer restarting
        [long] = mine(min_inactive_seconds=1)
        assert "has been inactive for" in long.message


# --------------------------------------------------------------------------- CDC116-CDC119

DMS_SCHEMA = """
CREATE TYPE mood AS ENUM ('calm', 'busy');
CREATE TABLE readings (device int, pressure real[], addr inet, state mood);
CREATE TABLE pages (slug text PRIMARY KEY, body text);
CREATE TABLE blobs (payload bytea, note varchar(40));
CREATE TABLE orders (id int PRIMARY KEY);
CREATE TABLE "Orders" (id int PRIMARY KEY);
CREATE TABLE docs (id int PRIMARY KEY, body text);
INSERT INTO docs
SELECT g, (SELECT string_agg(md5(g::text || ':' || i), '') FROM generate_series(1, 2000) AS i)
FROM generate_series(1, 50) AS g;
ANALYZE;
"""


def test_cdc116_to_cdc119_dms_table_checks_on_a_real_catalog(
    pg_server: LocalPostgres, fresh_db: str
) -> None:
    """DMS's type, key, LOB and name checks, from the catalog and statistics the collector reads.

    docs holds 50 rows of 64 kB text: pg_stats.avg_width says 18 (the TOAST pointer), the TOAST
    table says 64 kB a row, above DMS's default LobMaxSize of 32 KB."""
    with pg_server.connect(fresh_db) as conn:
        conn.execute(DMS_SCHEMA)
        [(width,)] = conn.execute(
            "SELECT avg_width FROM pg_stats WHERE tablename = 'docs' AND attname = 'body'"
        ).fetchall()
    assert width < 100  # why CDC118 reads the TOAST size, not avg_width
    facts = _collect(pg_server, fresh_db)

    [types] = run(dms_unsupported_columns, facts, "dms").findings
    assert types.subject == "public.readings"
    assert types.evidence["unsupported"] == {"addr": "inet", "state": "mood"}
    assert types.evidence["arrays_without_primary_key"] == {"public.readings": ["pressure"]}

    keys = {f.subject: f.evidence for f in run(dms_lob_keys, facts, "dms").findings}
    assert keys["public.pages"]["lob_primary_key"] == {"public.pages": {"slug": "text"}}
    assert keys["public.blobs"]["lob_without_key"] == {"public.blobs": ["payload"]}
    assert keys["public.readings"]["lob_without_key"] == {"public.readings": ["pressure"]}
    assert set(keys) == {"public.pages", "public.blobs", "public.readings"}

    [lob] = run(dms_lob_truncation, facts, "dms").findings
    assert lob.subject == "public.docs"
    per_row = lob.evidence["tables"]["public.docs"]["bytes_per_row_and_column"]
    assert 64_000 <= per_row < 80_000
    assert run(dms_lob_truncation, facts, "dms", lob_max_size_kb=100).status is Status.PASS

    [names] = run(dms_case_colliding_names, facts, "dms").findings
    assert names.evidence["tables"] == ['public."Orders"', "public.orders"]


# --------------------------------------------------------------------------- CDC019


def _plugin_loads(server: LocalPostgres, dbname: str, plugin: str) -> bool:
    """Whether the server can really create a slot with ``plugin`` (a temporary one)."""
    with server.connect(dbname) as conn:
        try:
            conn.execute(
                "SELECT pg_create_logical_replication_slot(%s, %s, true)",
                (f"probe_{plugin}", plugin),
            )
        except psycopg.Error:
            return False
        return True


@pytest.mark.parametrize("plugin", ["test_decoding", "wal2json", "decoderbufs"])
def test_cdc019_library_lookup_agrees_with_slot_creation(
    pg_logical: LocalPostgres, make_db: Callable[[LocalPostgres], str], plugin: str
) -> None:
    dbname = make_db(pg_logical)
    facts = _collect(pg_logical, dbname)
    assert facts.output_plugins is not None  # the tests collect as a superuser
    result = run(output_plugin_missing, facts, "generic", plugin=plugin)
    loads = _plugin_loads(pg_logical, dbname, plugin)
    assert facts.output_plugins[plugin] is loads
    assert result.status is (Status.PASS if loads else Status.FAIL)
