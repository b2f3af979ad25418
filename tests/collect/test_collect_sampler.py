"""The sampler: window and spacing, the three methods, Aurora-like fallback, Ctrl-C, accuracy,
per-interval table changes and per-sample slot positions."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from collect_support import client_program, expected_methods, flush_stats

from audit.collect.sampler import TABLE_COUNTERS, _deltas, interval_changes, sample_offsets
from audit.demo.localpg import LocalPostgres
from audit.engine import Status, get_profile, run_rule
from audit.engine.rule import RuleContext
from audit.facts import Facts, WalSample
from audit.facts.lsn import Lsn
from audit.facts.models import TABLE_CHANGE_COUNTERS
from rules.cdc208_slot_lag_growing import slot_lag_growing

MIB = 1024**2

pytestmark = pytest.mark.pg


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
    assert list(sample_offsets(60, 5)) == [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]
    assert list(sample_offsets(2, 5)) == [0, 2]
    assert list(sample_offsets(1, 0.5)) == [0, 0.5, 1]
    with pytest.raises(ValueError, match="positive"):
        list(sample_offsets(1, 0))


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
    started = time.monotonic()
    facts = collect_from(
        pg_server, fresh_db, sample_seconds=1.0, interval=0.25, progress=messages.append
    )
    wall = time.monotonic() - started
    sampling = facts.sampling
    assert sampling is not None
    # the collection's duration covers the window and the rest, within the call's wall time
    assert facts.collection_seconds is not None
    window = (sampling.ended_at - sampling.started_at).total_seconds()
    # (collection_seconds is rounded to the millisecond: it may pass the wall time by 0.5 ms)
    assert window < facts.collection_seconds <= wall + 0.0005
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
        "databases", "activity", "inventory", "replication connection", "sampling", "walinspect",
        "done",
    ]  # fmt: skip
    assert [m.split(",")[0] for m in messages if m.startswith("sampling: ")] == [
        f"sampling: {n}/5 samples" for n in range(1, 6)
    ]


@pytest.fixture
def aurora_like_db(pg_server: LocalPostgres, make_db: Callable[[LocalPostgres], str]) -> str:
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
    # slot positions need no WAL function (CDC208 still needs the WAL position to judge them)
    assert all(s.slots is not None for s in sampling.samples)
    assert facts.issue_for("sampling.slots") is None
    busy = {"n_tup_ins": 123, "n_tup_upd": 0, "n_tup_del": 0, "n_tup_hot_upd": 0}
    if pg_server.version_num >= 160000:
        busy["n_tup_newpage_upd"] = 0
    assert sampling.table_deltas["public.busy"] == busy
    # the same rows carry the scans: the INSERT scanned nothing (busy has no index)
    assert sampling.table_scans["public.busy"] == {"seq_scan": 0, "idx_scan": 0}
    assert set(sampling.table_scans) <= set(sampling.table_deltas)
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
    measured = Lsn(seen["after"]).position - Lsn(seen["before"]).position
    sampled = last.lsn.position - first.lsn.position
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
    assert inspected.lsn_bytes == last.lsn.position - first.lsn.position > 0
    inserts = [g for g in inspected.groups if g.relation == "public.written"]
    assert sum(g.records for g in inserts) >= 1


def test_interval_changes_keep_only_changed_tables_in_counter_order() -> None:
    assert TABLE_COUNTERS[:4] == TABLE_CHANGE_COUNTERS
    previous = {
        1: ("public.quiet", 5, 5, 5, 5, None),
        2: ("public.busy", 10, 4, 1, 2, None),
        3: ("public.reset", 100, 100, 100, 100, None),
        4: ("public.dropped", 1, 0, 0, 0, None),
    }
    current = {
        1: ("public.quiet", 5, 5, 5, 5, None),
        2: ("public.busy", 15, 7, 1, 3, None),
        3: ("public.reset", 2, 0, 0, 0, None),
        5: ("public.new", 0, 0, 0, 0, None),
        6: ("public.born_busy", 8, 1, 0, 1, 0),
    }
    assert interval_changes(previous, current) == {
        "public.busy": [5, 3, 0, 1],
        "public.reset": [2, 0, 0, 0],  # counters went down: reset, so counted from 0
        "public.born_busy": [8, 1, 0, 1],
    }
    assert interval_changes(current, current) == {}


def test_window_scans_need_both_ends_and_only_tables_whose_rows_changed() -> None:
    first = {
        1: ("public.purged", 0, 0, 10, 0, None, 5, 100),
        2: ("public.read", 0, 0, 0, 0, None, 5, 100),
    }
    last = {
        1: ("public.purged", 0, 0, 4_010, 0, None, 5, 200),
        2: ("public.read", 0, 0, 0, 0, None, 9, 900),
        3: ("public.new", 50, 0, 0, 0, None, 0, 1),
    }
    assert [(name, scans) for name, _, scans in _deltas(first, last)] == [
        ("public.purged", {"seq_scan": 0, "idx_scan": 100}),  # 40 rows a scan
        ("public.new", {"seq_scan": 0, "idx_scan": 1}),  # new since the first: from 0
    ]
    # a last sample that did not read the scans (intermediate, or a window ended by Ctrl-C)
    unread = {relid: (*row[:6], None, None) for relid, row in last.items()}
    assert [scans for _, _, scans in _deltas(first, unread)] == [{}, {}]


def summed_changes(samples: list[WalSample]) -> dict[str, list[int]]:
    """Each table's per-interval changes added up over the window."""
    summed: dict[str, list[int]] = {}
    for sample in samples[1:]:
        for name, change in (sample.table_changes or {}).items():
            assert len(change) == len(TABLE_CHANGE_COUNTERS)
            assert any(change), "only tables that changed are kept"
            total = summed.setdefault(name, [0] * len(TABLE_CHANGE_COUNTERS))
            summed[name] = [t + c for t, c in zip(total, change, strict=True)]
    return summed


@contextmanager
def unread_slot(server: LocalPostgres, dbname: str) -> Iterator[tuple[str, str, str]]:
    """A test_decoding slot nobody reads: (name, restart_lsn, confirmed_flush_lsn)."""
    slot = f"{dbname}_unread"
    with server.connect(dbname) as conn:
        conn.execute("SELECT pg_create_logical_replication_slot(%s, 'test_decoding')", [slot])
        row = conn.execute(
            "SELECT restart_lsn::text, confirmed_flush_lsn::text FROM pg_replication_slots "
            "WHERE slot_name = %s",
            [slot],
        ).fetchone()
    try:
        assert row is not None
        yield slot, row[0], row[1]
    finally:
        with server.connect(dbname) as conn:
            conn.execute("SELECT pg_drop_replication_slot(%s)", [slot])


def test_slot_positions_and_per_interval_table_changes(
    pg_logical: LocalPostgres,
    make_db: Callable[[LocalPostgres], str],
    collect_from: Callable[..., Facts],
) -> None:
    """A logical slot nobody reads while a workload writes: its restart and confirmed LSN stay
    where they were while the WAL position advances, and the per-interval table changes add up
    to the window's table deltas."""
    dbname = make_db(pg_logical)
    with pg_logical.connect(dbname) as conn:
        conn.execute("CREATE TABLE busy (id int)")

    def workload() -> None:
        with pg_logical.connect(dbname) as conn:
            for _ in range(6):
                conn.execute("INSERT INTO busy SELECT generate_series(1, 1000)")
                conn.execute("UPDATE busy SET id = id + 1 WHERE id = 1")
                flush_stats(conn)
                time.sleep(0.2)

    with unread_slot(pg_logical, dbname) as (slot, restart_lsn, confirmed_lsn):
        progress = OnSample(1, workload)
        facts = collect_from(
            pg_logical, dbname, sample_seconds=2.0, interval=0.25, progress=progress
        )
        progress.thread.join()
    sampling = facts.sampling
    assert sampling is not None
    samples = sampling.samples
    assert len(samples) == 9

    # per-sample slot positions: fixed, while the WAL position advances
    for sample in samples:
        assert sample.slots is not None
        position = sample.slots[slot]
        assert (position.slot_type, position.active) == ("logical", False)
        assert (position.restart_lsn, position.confirmed_flush_lsn) == (restart_lsn, confirmed_lsn)
    lsns = [s.lsn.position for s in samples if s.lsn is not None]
    assert len(lsns) == len(samples)
    assert lsns == sorted(lsns)
    assert lsns[-1] - lsns[0] > 100_000
    assert lsns[0] >= Lsn(confirmed_lsn).position

    # per-interval table changes: none on the first sample, then only the tables that changed,
    # adding up to the first-to-last deltas
    assert samples[0].table_changes is None
    assert all(s.table_changes is not None for s in samples[1:])
    expected = {
        name: [delta.get(c, 0) for c in TABLE_CHANGE_COUNTERS]
        for name, delta in sampling.table_deltas.items()
    }
    summed = summed_changes(samples)
    assert summed == {name: v for name, v in expected.items() if any(v)}
    assert summed["public.busy"][:2] == [6000, 6]
    busy_intervals = [s for s in samples[1:] if "public.busy" in (s.table_changes or {})]
    # 13 and 14 send statistics at most every 0.5 s, and readers see them up to 0.5 s late:
    # which intervals the batches land in is up to chance there
    if pg_logical.version_num >= 150000:
        assert len(busy_intervals) >= 2, "the workload spans several intervals"
    assert busy_intervals

    # the slot was inactive before the window: CDC201's to report, not CDC208's
    context = RuleContext(profile=get_profile("debezium"))
    assert run_rule(slot_lag_growing, facts, context).status is Status.PASS


@contextmanager
def stalled_consumer(server: LocalPostgres, dbname: str, slot: str) -> Iterator[None]:
    """pg_recvlogical streaming from ``slot``, then stopped (SIGSTOP): the slot stays active,
    its consumer confirms nothing more."""
    receiver = subprocess.Popen(
        [
            client_program(server, "pg_recvlogical"),
            *("--dbname", server.conninfo(dbname), "--slot", slot, "--start", "--file", "-"),
            *("--fsync-interval", "0", "--status-interval", "1"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("PG")},
    )
    try:
        deadline = time.monotonic() + 15
        while not slot_is_active(server, dbname, slot):
            assert receiver.poll() is None, receiver.communicate()[1]
            assert time.monotonic() < deadline, "pg_recvlogical never took the slot"
            time.sleep(0.1)
        receiver.send_signal(signal.SIGSTOP)
        yield
    finally:
        receiver.send_signal(signal.SIGCONT)
        receiver.terminate()
        receiver.wait(timeout=30)


def slot_is_active(server: LocalPostgres, dbname: str, slot: str) -> bool:
    with server.connect(dbname) as conn:
        row = conn.execute(
            "SELECT active FROM pg_replication_slots WHERE slot_name = %s", [slot]
        ).fetchone()
    return bool(row and row[0])


def test_cdc208_sees_an_active_consumer_stall_during_the_window(
    pg_logical: LocalPostgres,
    make_db: Callable[[LocalPostgres], str],
    collect_from: Callable[..., Facts],
) -> None:
    """The slot is in use (its walsender is connected) but its consumer stopped reading: the
    per-sample positions show it active with confirmed_flush_lsn fixed, and CDC208 fails it."""
    dbname = make_db(pg_logical)
    with pg_logical.connect(dbname) as conn:
        conn.execute("CREATE TABLE busy (id int, pad text)")

    def workload() -> None:
        with pg_logical.connect(dbname) as conn:
            for _ in range(4):
                conn.execute(
                    "INSERT INTO busy SELECT g, repeat('x', 200) FROM generate_series(1, 4000) g"
                )
                time.sleep(0.2)

    with (
        unread_slot(pg_logical, dbname) as (slot, _, _),
        stalled_consumer(pg_logical, dbname, slot),
    ):
        progress = OnSample(1, workload)
        facts = collect_from(
            pg_logical, dbname, sample_seconds=2.0, interval=0.5, progress=progress
        )
        progress.thread.join()
    assert facts.sampling is not None
    positions = [s.slots[slot] for s in facts.sampling.samples if s.slots is not None]
    assert len(positions) == len(facts.sampling.samples)
    assert all(p.active for p in positions)
    assert len({p.confirmed_flush_lsn for p in positions}) == 1
    options = slot_lag_growing.options.model_validate({"min_growth_bytes": MIB})
    context = RuleContext(profile=get_profile("debezium"), options=options)
    result = run_rule(slot_lag_growing, facts, context)
    assert result.status is Status.FAIL, result.reason
    [finding] = result.findings
    assert finding.subject == f"slot:{slot}"
    assert finding.evidence["samples_connected"] == len(positions)
    assert finding.evidence["confirmed_bytes"] == 0
    assert finding.evidence["growth_bytes"] == finding.evidence["wal_written_bytes"] > MIB


def test_per_interval_changes_stop_at_the_memory_bound_and_say_so(
    pg_server: LocalPostgres,
    make_db: Callable[[LocalPostgres], str],
    collect_from: Callable[..., Facts],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the bound, samples carry no per-interval changes, the window deltas stay whole, and
    an issue says why."""
    import audit.collect.sampler as sampler_module

    monkeypatch.setattr(sampler_module, "MAX_INTERVAL_ENTRIES", 1)
    dbname = make_db(pg_server)
    with pg_server.connect(dbname) as conn:
        conn.execute("CREATE TABLE a (id int); CREATE TABLE b (id int)")

    def workload() -> None:
        with pg_server.connect(dbname) as conn:
            for _ in range(4):
                conn.execute("INSERT INTO a VALUES (1); INSERT INTO b VALUES (1)")
                flush_stats(conn)
                time.sleep(0.2)

    progress = OnSample(1, workload)
    facts = collect_from(pg_server, dbname, sample_seconds=1.5, interval=0.25, progress=progress)
    progress.thread.join()
    sampling = facts.sampling
    assert sampling is not None
    assert all(s.table_changes is None for s in sampling.samples)
    assert sampling.table_deltas["public.a"]["n_tup_ins"] >= 1  # the window deltas are kept
    assert any(i.family == "sampling.table_changes" for i in facts.issues)
