"""The row-change WAL model on a real server whose audit role may not read WAL positions:
its range contains the WAL the same workload really writes under wal_level=logical."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from audit.collect.sampler import Sampler
from audit.collect.session import Session
from audit.collect.tables import read_tables
from audit.demo.localpg import LocalPostgres
from audit.estimate.overhead import Ops
from audit.estimate.wal_model import Runs
from bench.no_lsn_accuracy import WORKLOADS, Workload, run_server

pytestmark = pytest.mark.pg


def test_the_no_lsn_range_contains_the_measured_logical_wal() -> None:
    hot = next(w for w in WORKLOADS if w.name == "hot_upd")
    with tempfile.TemporaryDirectory(prefix="cdcnolsn-") as tmp:  # traversable by the server
        _check(hot, Path(tmp))


def _check(hot: Workload, tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    scripts.chmod(0o755)
    assert hot.script is not None
    (scripts / "hot_upd.sql").write_text(hot.script)
    (scripts / "hot_upd.sql").chmod(0o644)
    replica = run_server("replica", 15, [hot], 0.1, scripts, tmp_path)["hot_upd"]
    logical = run_server("logical", 15, [hot], 0.1, scripts, tmp_path)["hot_upd"]
    modelled, truth = replica["no_lsn"], logical["lsn_bytes"]
    assert modelled["method"] == "row_changes"
    assert any("not measured" in a for a in modelled["assumptions"])
    assert modelled["low"] <= truth <= modelled["high"], (modelled, truth)
    assert modelled["low"] < modelled["expected"] < modelled["high"]


RANGE_ROWS = 20_000


def test_rows_changed_per_scan_tell_range_deletes_from_single_row_ones(
    pg_server: LocalPostgres, fresh_db: str
) -> None:
    """The sampler's scans and the tables' index correlation, as a pg_monitor role reads them:
    DELETEs of 50 consecutive ids run on consecutive pages; single-row DELETEs, and range
    DELETEs through an index whose order is unrelated to the heap's, do not."""
    role = f"runs_{fresh_db}"
    with pg_server.connect(fresh_db) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'x' IN ROLE pg_monitor")
        for name in ("ranged", "single", "shuffled"):
            conn.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, k int, payload text)")
            conn.execute(f"GRANT SELECT ON {name} TO {role}")  # pg_stats shows its columns
            conn.execute("SELECT setseed(0.5)")
            conn.execute(
                f"INSERT INTO {name} SELECT g, (random() * 1e6)::int, repeat(md5(g::text), 2) "
                "FROM generate_series(1, %s) g",
                [RANGE_ROWS],
            )
        conn.execute("CREATE INDEX shuffled_k ON shuffled (k)")
        conn.execute("VACUUM ANALYZE")
    conninfo = pg_server.conninfo(fresh_db, role, "x")
    with psycopg.connect(conninfo, autocommit=True) as monitor:
        version = pg_server.version_num
        tables = {t.qualified_name: t for t in read_tables(Session(monitor), version)}
        sampler = Sampler(Session(monitor), version)
        sampler.take()
        with pg_server.connect(fresh_db) as conn:
            for start in range(1, RANGE_ROWS, 500):  # 40 runs of 50 ids
                conn.execute("DELETE FROM ranged WHERE id BETWEEN %s AND %s + 49", [start, start])
                # 50 of 20,000 keys spread over 1e6: the same number of rows, anywhere
                low = start * 50
                conn.execute("DELETE FROM shuffled WHERE k BETWEEN %s AND %s", [low, low + 2_499])
            for row in range(7, RANGE_ROWS, 10):  # 2,000 single-row deletes
                conn.execute("DELETE FROM single WHERE id = %s", [row])
            if version >= 150000:
                conn.execute("SELECT pg_stat_force_next_flush()")
        deltas = _settled(sampler, {"public.ranged", "public.single", "public.shuffled"})
    runs = {
        name: Runs.of(Ops.from_delta(delta), sampler.table_scans()[name], tables[name])
        for name, delta in deltas.items()
    }
    ranged, single, shuffled = (runs[f"public.{n}"] for n in ("ranged", "single", "shuffled"))
    assert 45 <= ranged.rows_per_scan <= 50 and ranged.ordered > 0.95
    assert single.rows_per_scan == pytest.approx(1.0)
    assert shuffled.rows_per_scan > 10 and shuffled.ordered < 0.05
    per_page = RANGE_ROWS / float(tables["public.ranged"].heap_bytes or 1) * 8192
    assert ranged.page_visits(2_000, per_page) < 2_000 / 10
    assert single.page_visits(2_000, per_page) == pytest.approx(2_000)
    assert shuffled.page_visits(2_000, per_page) > 0.9 * 2_000


def _settled(sampler: Sampler, names: set[str]) -> dict[str, dict[str, int]]:
    """The window's deltas once every table's deletes are in the statistics (their flush is
    delayed by up to a second)."""
    deadline = time.monotonic() + 10
    while True:
        sampler.take(final=True)
        deltas = sampler.table_deltas()
        if all(deltas.get(n, {}).get("n_tup_del", 0) > 0 for n in names) or (
            time.monotonic() > deadline
        ):
            return {n: deltas[n] for n in names}
        time.sleep(0.2)
