"""The history store, SQLite and PostgreSQL alike: idempotent runs, targets, baselines, retention,
schema versions, and parallel writers from many processes that lose and duplicate nothing."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import statistics
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from history_support import SAMPLE_FACTS, SAMPLE_REPORT, T0, new_run, write_runs

from audit.history.schema import RUNS, SCHEMA_TABLE, SCHEMA_VERSION
from audit.history.store import HistoryError, HistoryStore, open_store

WRITERS, RUNS_EACH, SHARED = 8, 10, 10


def _postgres_url(server: object, dbname: str) -> str:
    conninfo = psycopg.conninfo.conninfo_to_dict(server.conninfo(dbname))  # type: ignore[attr-defined]
    return (
        f"postgresql://{conninfo['user']}:{conninfo['password']}@{conninfo['host']}:"
        f"{conninfo['port']}/{dbname}"
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty history: an SQLite file path, or a postgresql:// URL of a fresh database."""
    if request.param == "sqlite":
        return str(tmp_path / "history.db")
    server = request.getfixturevalue("server_pool").get(18, {"wal_level": "replica"})
    make_db: Callable[[object], str] = request.getfixturevalue("make_db")
    return _postgres_url(server, make_db(server))


@pytest.fixture
def store(location: str) -> Iterator[HistoryStore]:
    with open_store(location) as opened:
        yield opened


def test_a_run_is_stored_once_and_reads_back_whole(store: HistoryStore) -> None:
    report, facts = SAMPLE_REPORT.read_bytes(), SAMPLE_FACTS.read_bytes()
    assert store.add(new_run("r1", report=report, facts=facts)) is True
    assert store.add(new_run("r1", report=report, facts=facts)) is False
    [run] = store.runs()
    assert (run.report_id, run.target_id, run.target_name) == ("r1", "pg:1/shop", "db1:5432/shop")
    assert run.run_at == T0
    assert run.counts == {"critical": 2, "high": 1}
    assert run.labels == {"team": "payments"}
    assert store.documents(run.id) == (report, facts)
    assert store.report(run.id) == json.loads(report)


def test_the_same_report_of_two_targets_is_two_runs(store: HistoryStore) -> None:
    assert store.add(new_run("r1", target_id="pg:1/shop"))
    assert store.add(new_run("r1", target_id="pg:2/shop", target_name="db2:5432/shop"))
    assert [r.target_id for r in store.runs("db2:5432/shop")] == ["pg:2/shop"]
    assert [r.target_name for r in store.runs("pg:1/shop")] == ["db1:5432/shop"]
    assert store.runs("nope") == []


def test_previous_is_the_latest_earlier_run_of_the_same_target_and_profile(
    store: HistoryStore,
) -> None:
    week = timedelta(weeks=1)
    store.add(new_run("w1", run_at=T0))
    store.add(new_run("w2", run_at=T0 + week))
    store.add(new_run("dms", run_at=T0 + week, profile="dms"))
    store.add(new_run("other", run_at=T0 + week, target_id="pg:9/shop"))
    store.add(new_run("w3", run_at=T0 + 2 * week))
    previous = store.previous("pg:1/shop", "debezium", T0 + 2 * week)
    assert previous is not None and previous.report_id == "w2"
    assert store.previous("pg:1/shop", "debezium", T0) is None
    assert [r.report_id for r in store.runs("pg:1/shop")] == ["w3", "dms", "w2", "w1"]


def test_retention_keeps_the_weeks_before_the_newest_run_of_that_target(
    store: HistoryStore,
) -> None:
    for week in range(6):
        store.add(new_run(f"w{week}", run_at=T0 + timedelta(weeks=week)))
    store.add(new_run("old-other", run_at=T0, target_id="pg:2/shop"))
    assert store.prune("pg:1/shop", timedelta(weeks=2)) == 3
    assert [r.report_id for r in store.runs("pg:1/shop")] == ["w5", "w4", "w3"]
    assert [r.report_id for r in store.runs("pg:2/shop")] == ["old-other"]
    assert store.prune("pg:unknown/x", timedelta(weeks=1)) == 0


def test_reopening_keeps_runs_and_records_one_schema_version(location: str) -> None:
    with open_store(location) as first:
        first.add(new_run("r1"))
    with open_store(location) as second:
        assert [r.report_id for r in second.runs()] == ["r1"]
    versions = _query(location, f"SELECT version FROM {SCHEMA_TABLE}")
    assert versions == [(SCHEMA_VERSION,)]


def test_a_store_from_a_newer_version_is_refused(location: str) -> None:
    open_store(location).close()
    _execute(
        location,
        f"INSERT INTO {SCHEMA_TABLE} (version, applied_at) VALUES (99, "
        + ("'2030-01-01'" if not location.startswith("postgresql") else "now()")
        + ")",
    )
    with pytest.raises(HistoryError, match="schema version 99 is newer"):
        open_store(location)


def _query(location: str, sql: str) -> list[tuple[object, ...]]:
    if location.startswith("postgresql"):
        with psycopg.connect(location) as conn:
            return list(conn.execute(sql).fetchall())
    with sqlite3.connect(location) as db:
        return list(db.execute(sql).fetchall())


def _execute(location: str, sql: str) -> None:
    if location.startswith("postgresql"):
        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute(sql)
        return
    db = sqlite3.connect(location)
    db.execute(sql)
    db.commit()
    db.close()


def test_a_file_that_is_not_a_history_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "report.json"
    text.write_text('{"not": "sqlite"}' * 100)
    with pytest.raises(HistoryError, match="not a database") as not_db:
        open_store(str(text))
    assert not_db.value.usage
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(HistoryError, match="other tables \\(invoices\\)") as foreign:
        open_store(str(other))
    assert foreign.value.usage
    with pytest.raises(HistoryError, match="does not exist"):
        open_store(str(tmp_path / "missing-dir" / "h.db"))
    with pytest.raises(HistoryError, match="not a store"):
        open_store("mysql://db/x")
    with pytest.raises(HistoryError, match="no such history file"):
        open_store(str(tmp_path / "absent.db"), create=False)
    assert not (tmp_path / "absent.db").exists()


@pytest.mark.slow
def test_parallel_writers_lose_nothing_and_duplicate_nothing(location: str) -> None:
    """8 processes x (10 own + 10 shared) runs, all at once, into a store none has opened
    before (so the schema is created concurrently too)."""
    context = multiprocessing.get_context("fork")
    with context.Pool(WRITERS) as pool:
        timings = pool.starmap(
            write_runs, [(location, w, RUNS_EACH, SHARED) for w in range(WRITERS)]
        )
    with open_store(location) as opened:
        runs = opened.runs()
    ids = [r.report_id for r in runs]
    expected = {f"w{w}-r{i}" for w in range(WRITERS) for i in range(RUNS_EACH)}
    expected |= {f"shared-{i}" for i in range(SHARED)}
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    rows = _query(location, f"SELECT count(*) FROM {RUNS}")
    assert rows == [(len(expected),)]
    flat = sorted(t for writer in timings for t in writer)
    _report_timing(location, flat, len(expected))


def _report_timing(location: str, timings: list[float], runs: int) -> None:
    """Print the measured figures (pytest -s) for docs/history.md."""
    kind = "postgresql" if location.startswith("postgresql") else "sqlite"
    size = ""
    if kind == "sqlite":
        total = sum(os.path.getsize(p) for p in (location, f"{location}-wal") if os.path.exists(p))
        size = f", file {total / runs / 1024:.1f} KiB per run"
    else:
        [(table_bytes,)] = _query(location, f"SELECT pg_total_relation_size('{RUNS}')")
        size = f", table {int(str(table_bytes)) / runs / 1024:.1f} KiB per run"
    print(
        f"\n{kind}: {len(timings)} inserts by {WRITERS} writers, median "
        f"{statistics.median(timings) * 1000:.1f} ms, p95 "
        f"{timings[int(len(timings) * 0.95)] * 1000:.1f} ms{size}"
    )
