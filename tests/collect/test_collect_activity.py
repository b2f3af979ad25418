"""What CDC waits for or competes with: open transactions, prepared transactions, WAL senders."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from collect_support import client_program

from audit.demo.localpg import LocalPostgres
from audit.facts import Facts

pytestmark = pytest.mark.pg


def test_idle_in_transaction_session_is_reported(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    with psycopg.connect(pg_server.conninfo(fresh_db), autocommit=False) as idle:
        idle.execute("SET application_name = 'forgot-to-commit'")
        idle.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        idle.execute("SELECT txid_current()")
        pid = idle.info.backend_pid
        facts = collect_from(pg_server, fresh_db)
    assert facts.sessions is not None
    mine = [s for s in facts.sessions if s.pid == pid]
    assert len(mine) == 1
    session = mine[0]
    assert (session.state, session.application_name, session.database, session.user) == (
        "idle in transaction", "forgot-to-commit", fresh_db, "postgres",
    )  # fmt: skip
    assert session.backend_type == "client backend"
    assert session.xact_age_seconds is not None
    assert session.xact_age_seconds >= 0
    assert session.backend_xmin_age is not None
    assert all(s.application_name != "cdc-preflight" for s in facts.sessions)


def test_prepared_transaction_is_reported(
    observed_server: LocalPostgres,
    make_db: Callable[[LocalPostgres], str],
    collect_from: Callable[..., Facts],
) -> None:
    dbname = make_db(observed_server)
    gid = f"{dbname}-pending"
    with observed_server.connect(dbname, autocommit=False) as conn:
        conn.execute("CREATE TABLE t (id int)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.execute(f"PREPARE TRANSACTION '{gid}'")
    try:
        facts = collect_from(observed_server, dbname)
    finally:
        with observed_server.connect(dbname) as conn:
            conn.execute(f"COMMIT PREPARED '{gid}'")
    assert facts.prepared_xacts is not None
    mine = [p for p in facts.prepared_xacts if p.gid == gid]
    assert len(mine) == 1
    assert (mine[0].database, mine[0].owner) == (dbname, "postgres")
    assert mine[0].prepared_at is not None
    assert mine[0].xid_age is not None


@pytest.fixture
def streaming_slot(
    pg_logical: LocalPostgres, make_db: Callable[[LocalPostgres], str]
) -> Iterator[tuple[str, str, int]]:
    """A logical slot with pg_recvlogical streaming from it: (database, slot, sender pid)."""
    dbname = make_db(pg_logical)
    slot = f"{dbname}_stream"
    with pg_logical.connect(dbname) as conn:
        conn.execute("SELECT pg_create_logical_replication_slot(%s, 'test_decoding')", [slot])
    receiver = [client_program(pg_logical, "pg_recvlogical"), "-d", dbname, "--slot", slot]
    receiver += ["--start", "--no-loop", "-f", "/dev/null"]

    def receive() -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            pg_logical.run_as_server_user(receiver, check=False, timeout=60)

    thread = threading.Thread(target=receive)
    thread.start()
    pid = None
    deadline = time.monotonic() + 15
    with pg_logical.connect(dbname) as conn:
        while pid is None and time.monotonic() < deadline:
            row = conn.execute(
                "SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s", [slot]
            ).fetchone()
            pid = row[0] if row else None
            time.sleep(0.1)
        conn.execute("CREATE TABLE decoded AS SELECT 1 AS one")
    assert pid is not None, "pg_recvlogical never started streaming"
    yield dbname, slot, pid
    with pg_logical.connect(dbname) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", [pid])
        thread.join(30)
        conn.execute("SELECT pg_drop_replication_slot(%s)", [slot])


def test_wal_sender_with_its_slot(
    pg_logical: LocalPostgres,
    streaming_slot: tuple[str, str, int],
    collect_from: Callable[..., Facts],
) -> None:
    dbname, slot_name, pid = streaming_slot
    facts = collect_from(pg_logical, dbname)
    assert facts.senders is not None, facts.issues
    sender = next(s for s in facts.senders if s.pid == pid)
    assert (sender.slot_name, sender.application_name, sender.user) == (
        slot_name, "pg_recvlogical", "postgres",
    )  # fmt: skip
    assert sender.state in {"startup", "catchup", "streaming"}
    assert sender.client_addr == "127.0.0.1"
    assert sender.backend_start is not None
    assert facts.slots is not None
    slot = next(s for s in facts.slots if s.slot_name == slot_name)
    assert (slot.active, slot.active_pid, slot.plugin) == (True, pid, "test_decoding")
    if pg_logical.version_num >= 140000:
        assert facts.slot_stats is not None
        assert slot_name in {s.slot_name for s in facts.slot_stats}


def test_role_with_only_login_still_gets_an_audit(
    pg_server: LocalPostgres,
    fresh_db: str,
    audit_role: Callable[..., tuple[str, str]],
    collect_from: Callable[..., Facts],
) -> None:
    user, password = audit_role(pg_server, fresh_db)
    facts = collect_from(pg_server, fresh_db, user=user, password=password)
    assert facts.role is not None
    assert (facts.role.superuser, facts.role.member_of) == (False, [])
    families = {i.family for i in facts.issues}
    assert {"settings.pending", "sessions.other_roles", "senders.other_roles"} <= families
    for family in ("server", "settings", "tables", "slots", "databases", "sessions", "senders"):
        assert getattr(facts, family) is not None, family
    assert facts.databases is not None
    assert all(d.size_bytes is not None for d in facts.databases)  # PUBLIC may CONNECT
