"""The sampler: window and spacing, the three methods, Aurora-like fallback, Ctrl-C, accuracy."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from collect_support import client_program, expected_methods, flush_stats

from audit.collect.sampler import sample_offsets
from audit.facts import Facts
from audit.localpg import LocalPostgres

pytestmark = pytest.mark.pg


def lsn_bytes(lsn: str) -> int:
    high, low = lsn.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def current_lsn(server: LocalPostgres, dbname: str) -> str:
    with server.connect(dbname) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    return str(row[0])


class OnSample:
    """A progress callback that runs ``action`` in a thread when sample ``number`` is taken."""

    def __init__(self, number: int, action: Callable[[], None]) -> None:
        self.messages: list[str] = []
        self.prefix = f"sampling: {number}/"
        self.thread = threading.Thread(target=action)

    def __call__(self, message: str) -> None:
        self.messages.append(message)
        if message.startswith(self.prefix):
            self.thread.start()


def test_offsets_cover_the_window_and_end_exactly_at_it() -> None:
    assert sample_offsets(60, 5) == [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]
    assert sample_offsets(2, 5) == [0, 2]
    assert sample_offsets(1, 0.5) == [0, 0.5, 1]
    with pytest.raises(ValueError, match="positive"):
        sample_offsets(1, 0)


def test_zero_seconds_skips_sampling_and_says_so(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    facts = collect_from(pg_server, fresh_db, sample_seconds=0)
    assert facts.sampling is None
    issue = facts.issue_for("sampling")
    assert issue is not None
    assert "skipped" in issue.reason


def test_window_spacing_methods_and_progress(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    messages: list[str] = []
    facts = collect_from(
        pg_server, fresh_db, sample_seconds=1.0, interval=0.25, progress=messages.append
    )
    sampling = facts.sampling
    assert sampling is not None
    assert (sampling.requested_seconds, sampling.interval_seconds) == (1.0, 0.25)
    assert sampling.methods == expected_methods(pg_server)
    assert sampling.interrupted is False
    assert len(sampling.samples) == 5
    gaps = [(b.at - a.at).total_seconds() for a, b in pairwise(sampling.samples)]
    assert all(0.2 <= g <= 0.45 for g in gaps), gaps
    assert 0.95 <= (sampling.ended_at - sampling.started_at).total_seconds() <= 1.3
    for sample in sampling.samples:
        assert sample.lsn is not None
        if pg_server.version_num >= 140000:
            assert None not in (sample.wal_bytes, sample.wal_records, sample.wal_fpi)
        assert None not in (sample.xact_commit, sample.tup_inserted)
    assert [m for m in messages if not m.startswith("sampling: ")] == [
        "connecting", "server", "settings", "tables", "slots", "publications", "role",
        "databases", "activity", "inventory", "sampling", "walinspect", "done",
    ]  # fmt: skip
    assert [m.split(",")[0] for m in messages if m.startswith("sampling: ")] == [
        f"sampling: {n}/5 samples" for n in range(1, 6)
    ]


@pytest.fixture
def aurora_like_db(
    pg_server: LocalPostgres, make_db: Callable[[LocalPostgres], str]
) -> Iterator[str]:
    """A database whose WAL functions the auditing role may not run, as on Aurora before
    logical replication is on (revoking in one database leaves the others untouched)."""
    dbname = make_db(pg_server)
    with pg_server.connect(dbname) as conn:
        conn.execute("REVOKE EXECUTE ON FUNCTION pg_current_wal_lsn() FROM PUBLIC")
        if pg_server.version_num >= 140000:
            conn.execute("REVOKE EXECUTE ON FUNCTION pg_stat_get_wal FROM PUBLIC")
        conn.execute("CREATE TABLE busy (id int)")
    return dbname


def insert_rows(server: LocalPostgres, dbname: str, table: str, rows: int) -> None:
    """Insert ``rows`` rows into ``table``, and churn the catalog with a temporary table."""
    with server.connect(dbname) as conn:
        conn.execute(f"INSERT INTO {table} SELECT generate_series(1, %s)", [rows])
        conn.execute("CREATE TEMP TABLE churn (id int)")
        flush_stats(conn)


def test_without_wal_functions_the_sampler_falls_back_to_row_changes(
    pg_server: LocalPostgres,
    aurora_like_db: str,
    audit_role: Callable[..., tuple[str, str]],
    collect_from: Callable[..., Facts],
) -> None:
    user, password = audit_role(pg_server, aurora_like_db, "IN ROLE pg_monitor")
    progress = OnSample(1, lambda: insert_rows(pg_server, aurora_like_db, "busy", 123))
    facts = collect_from(
        pg_server,
        aurora_like_db,
        user=user,
        password=password,
        sample_seconds=2.0,
        interval=0.5,
        progress=progress,
    )
    progress.thread.join()
    sampling = facts.sampling
    assert sampling is not None
    assert sampling.methods == ["row_changes"]
    assert all(s.lsn is None and s.wal_bytes is None for s in sampling.samples)
    assert all(s.xact_commit is not None for s in sampling.samples)
    busy = {"n_tup_ins": 123, "n_tup_upd": 0, "n_tup_del": 0, "n_tup_hot_upd": 0}
    if pg_server.version_num >= 160000:
        busy["n_tup_newpage_upd"] = 0
    assert sampling.table_deltas["public.busy"] == busy
    assert sampling.table_deltas["pg_catalog.pg_class"]["n_tup_ins"] >= 1
    assert all(not name.startswith("pg_temp") for name in sampling.table_deltas)
    lsn_issue = facts.issue_for("sampling.lsn")
    assert lsn_issue is not None
    assert lsn_issue.reason.startswith("permission denied for function pg_current_wal_lsn")
    assert "other sampling methods" in lsn_issue.reason
    assert lsn_issue.hint is not None
    assert "GRANT EXECUTE ON FUNCTION pg_current_wal_lsn()" in lsn_issue.hint
    wal_issue = facts.issue_for("sampling.pg_stat_wal")
    assert wal_issue is not None
    if pg_server.version_num >= 140000:
        assert "permission denied for function pg_stat_get_wal" in wal_issue.reason
    # the same function feeds slot retention: unknown, and said so
    assert facts.current_wal_lsn is None
    assert facts.issue_for("current_wal_lsn") is not None
    assert facts.slots == []


def test_ctrl_c_keeps_the_samples_taken(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    def interrupt_on_second_sample(message: str) -> None:
        if message.startswith("sampling: 2/"):
            signal.raise_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        began = time.monotonic()
        facts = collect_from(
            pg_server,
            fresh_db,
            sample_seconds=30,
            interval=0.2,
            progress=interrupt_on_second_sample,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - began < 10
    assert facts.sampling is not None
    assert facts.sampling.interrupted is True
    assert len(facts.sampling.samples) == 2
    assert facts.sampling.methods == expected_methods(pg_server)
    assert facts.tables is not None


@pytest.fixture
def pgbench_db(pg_server: LocalPostgres, make_db: Callable[[LocalPostgres], str]) -> str:
    dbname = make_db(pg_server)
    pgbench = client_program(pg_server, "pgbench")
    pg_server.run_as_server_user([pgbench, "-i", "-s", "1", "-q", dbname])
    # no background WAL in the window: the initial load is frozen and checkpointed, and
    # autovacuum leaves these tables alone
    with pg_server.connect(dbname) as conn:
        for table in ("accounts", "branches", "history", "tellers"):
            conn.execute(f"ALTER TABLE pgbench_{table} SET (autovacuum_enabled = off)")
        conn.execute("VACUUM (FREEZE, ANALYZE)")
        conn.execute("CHECKPOINT")
    wait_for_quiet_wal_stats(pg_server, dbname)
    return dbname


def wait_for_quiet_wal_stats(server: LocalPostgres, dbname: str) -> None:
    """Wait until pg_stat_wal has caught up with the setup (it lags, by up to seconds on 14)."""
    if server.version_num < 140000:
        return
    previous = None
    deadline = time.monotonic() + 15
    with server.connect(dbname) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT wal_bytes FROM pg_stat_wal").fetchone()
            if row == previous:
                return
            previous = row
            time.sleep(0.7)
    raise AssertionError("pg_stat_wal kept changing")


def test_lsn_delta_matches_a_known_pgbench_workload(
    pg_server: LocalPostgres, pgbench_db: str, collect_from: Callable[..., Facts]
) -> None:
    seen: dict[str, Any] = {}

    def workload() -> None:
        seen["before"] = current_lsn(pg_server, pgbench_db)
        pgbench = client_program(pg_server, "pgbench")
        pg_server.run_as_server_user([pgbench, "-n", "-c", "2", "-t", "500", pgbench_db])
        seen["after"] = current_lsn(pg_server, pgbench_db)
        seen["ended_at"] = datetime.now(UTC)

    progress = OnSample(1, workload)
    facts = collect_from(pg_server, pgbench_db, sample_seconds=4.0, interval=0.5, progress=progress)
    progress.thread.join()
    sampling = facts.sampling
    assert sampling is not None
    first, last = sampling.samples[0], sampling.samples[-1]
    assert last.at > seen["ended_at"], "the sampling window must enclose the workload"
    assert first.lsn is not None
    assert last.lsn is not None
    measured = lsn_bytes(seen["after"]) - lsn_bytes(seen["before"])
    sampled = lsn_bytes(last.lsn) - lsn_bytes(first.lsn)
    assert measured > 100_000
    assert sampled == pytest.approx(measured, rel=0.05)
    if pg_server.version_num >= 140000:
        assert first.wal_bytes is not None
        assert last.wal_bytes is not None
        assert last.wal_bytes - first.wal_bytes == pytest.approx(sampled, rel=0.10)
    # 1,000 pgbench transactions: one UPDATE of pgbench_accounts and one INSERT into history each
    assert sampling.table_deltas["public.pgbench_accounts"]["n_tup_upd"] == 1000
    assert sampling.table_deltas["public.pgbench_history"]["n_tup_ins"] == 1000
    assert first.xact_commit is not None
    assert last.xact_commit is not None
    assert last.xact_commit - first.xact_commit >= 1000


def test_walinspect_reads_the_window_when_installed(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    if pg_server.version_num < 150000:
        pytest.skip("pg_walinspect exists from PostgreSQL 15 on")
    with pg_server.connect(fresh_db) as conn:
        conn.execute("CREATE EXTENSION pg_walinspect")
        conn.execute("CREATE TABLE written (id int)")
    progress = OnSample(1, lambda: insert_rows(pg_server, fresh_db, "written", 500))
    facts = collect_from(pg_server, fresh_db, sample_seconds=1.5, interval=0.5, progress=progress)
    progress.thread.join()
    assert facts.sampling is not None
    first, last = facts.sampling.samples[0], facts.sampling.samples[-1]
    inspected = facts.walinspect
    assert inspected is not None, facts.issues
    assert (inspected.requested_start_lsn, inspected.start_lsn) == (first.lsn, first.lsn)
    assert first.lsn is not None
    assert last.lsn is not None
    assert inspected.lsn_bytes == lsn_bytes(last.lsn) - lsn_bytes(first.lsn) > 0
    inserts = [g for g in inspected.groups if g.relation == "public.written"]
    assert sum(g.records for g in inserts) >= 1
