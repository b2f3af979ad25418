"""Accuracy benchmark of the capacity model: ``python -m bench.accuracy`` writes docs/accuracy.md.

For each workload shape, three throw-away PostgreSQL 15 servers run the same pgbench
transactions (single client, fixed count, fixed seed, so WAL bytes are deterministic):

- ``replica``: ``wal_level=replica``, sampled the way the collector samples (LSN, pg_stat_wal,
  pg_stat_database, per-table counters incl. pg_catalog) and read with pg_walinspect; the
  estimator predicts the logical WAL from this run alone (statistics and pg_walinspect
  predictors);
- ``logical``: ``wal_level=logical``, default replica identity: the measured truth;
- ``full``: ``wal_level=logical`` and ``REPLICA IDENTITY FULL`` on every table.

Snapshot: a table of 1.5M rows is read in keyset chunks at two chunk sizes; the read probe
(3 s budget) plus the table size predicts each read. Decoding: one pgoutput slot decodes the
TPC-B WAL of the logical server, timed.

Settings follow wal_overhead.md §1 (full_page_writes=on, checkpoint before each run, autovacuum
off). ``--quick`` runs a tenth of the transactions (what the test suite's smoke test uses).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

if __package__ in (None, ""):  # run as `python bench/accuracy.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.collect.read_probe import run_read_probe
from audit.collect.walinspect import collect_walinspect
from audit.demo.localpg import LocalPostgres, find_bin_dir
from audit.engine.profile import get_profile
from audit.estimate import EstimateOptions, estimate_all
from audit.facts import (
    Facts,
    ReplicaIdentity,
    Sampling,
    Server,
    Setting,
    Table,
    Target,
    WalSample,
)
from audit.facts.lsn import Lsn
from bench.report import write_report

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "accuracy.md"
RESULTS = ROOT / "bench" / "results.json"
MB = 1e6
SETTINGS = {
    "full_page_writes": "on",
    "wal_compression": "off",
    "checkpoint_timeout": "1d",
    "max_wal_size": "64GB",
    "autovacuum": "off",
    "shared_buffers": "512MB",
    "max_wal_senders": "10",
    "max_replication_slots": "10",
    "jit": "off",
}
MODES = {
    "replica": {"wal_level": "replica"},
    "logical": {"wal_level": "logical"},
    "full": {"wal_level": "logical"},
}


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    setup: list[str]
    script: str | None  # pgbench script; None = built-in tpcb-like
    transactions: int
    kind: str  # insert | mixed | update | delete | ddl (for the rule-of-thumb baseline)
    pgbench_init_scale: int = 0


WORKLOADS = [
    Workload(
        "ins_narrow",
        "1-row INSERT of a 48 B row",
        ["CREATE TABLE ins_narrow (id bigserial PRIMARY KEY, a int, b int, ts timestamptz)"],
        "\\set r random(1, 1000000)\nINSERT INTO ins_narrow (a, b, ts) VALUES (:r, :r, now());\n",
        20_000,
        "insert",
    ),
    Workload(
        "ins_wide",
        "1-row INSERT of a ~1 KB row",
        ["CREATE TABLE ins_wide (id bigserial PRIMARY KEY, a int, payload text)"],
        "\\set r random(1, 1000000)\n"
        "INSERT INTO ins_wide (a, payload) VALUES (:r, repeat(md5(:r::text), 31));\n",
        10_000,
        "insert",
    ),
    Workload(
        "ins_batch",
        "INSERT ... SELECT of 100 narrow rows per transaction",
        ["CREATE TABLE ins_batch (id bigserial PRIMARY KEY, a int, b int, ts timestamptz)"],
        "INSERT INTO ins_batch (a, b, ts) SELECT g, g, now() FROM generate_series(1, 100) g;\n",
        500,
        "insert",
    ),
    Workload(
        "upd_hot",
        "UPDATE of one int column, 1 KB rows, 5k-row hot set, fillfactor 80 (HOT)",
        [
            "CREATE TABLE upd_hot (id int PRIMARY KEY, counter int, payload text) "
            "WITH (fillfactor = 80)",
            "INSERT INTO upd_hot SELECT g, 0, repeat(md5(g::text), 31) "
            "FROM generate_series(1, 5000) g",
        ],
        "\\set id random(1, 5000)\nUPDATE upd_hot SET counter = counter + 1 WHERE id = :id;\n",
        20_000,
        "update",
    ),
    Workload(
        "upd_nonhot",
        "UPDATE of one indexed int column, 1 KB rows, 50k rows, fillfactor 100 (no HOT)",
        [
            "CREATE TABLE upd_cold (id int PRIMARY KEY, counter int, payload text)",
            "INSERT INTO upd_cold SELECT g, 0, repeat(md5(g::text), 31) "
            "FROM generate_series(1, 50000) g",
            "CREATE INDEX upd_cold_counter ON upd_cold (counter)",
        ],
        "\\set id random(1, 50000)\nUPDATE upd_cold SET counter = counter + 1 WHERE id = :id;\n",
        10_000,
        "update",
    ),
    Workload(
        "del_random",
        "DELETE of one 1 KB row in random order (id from a sequence over a permutation)",
        [
            "CREATE TABLE del_t (id int PRIMARY KEY, payload text)",
            "INSERT INTO del_t SELECT g, repeat(md5(g::text), 31) FROM generate_series(1, 50000) g",
            "CREATE SEQUENCE del_seq",
        ],
        "SELECT (nextval('del_seq') * 7919) % 50000 + 1 AS id \\gset\n"
        "DELETE FROM del_t WHERE id = :id;\n",
        10_000,
        "delete",
    ),
    Workload(
        "tpcb",
        "pgbench built-in TPC-B-like (3 UPDATE, 1 SELECT, 1 INSERT), scale 5",
        [],
        None,
        10_000,
        "mixed",
        pgbench_init_scale=5,
    ),
    Workload(
        "toast_upd",
        "UPDATE of one int column on rows with a 6.4 KB TOASTed text, 5k rows",
        [
            "SELECT setseed(0.42)",
            "CREATE TABLE toast_t (id int PRIMARY KEY, counter int, doc text)",
            "INSERT INTO toast_t SELECT g, 0, (SELECT string_agg(md5(random()::text || i), '') "
            "FROM generate_series(1, 200) i WHERE g > 0) FROM generate_series(1, 5000) g",
        ],
        "\\set id random(1, 5000)\nUPDATE toast_t SET counter = counter + 1 WHERE id = :id;\n",
        10_000,
        "update",
    ),
    Workload(
        "temp_churn",
        "CREATE TEMP TABLE ... ON COMMIT DROP, 20 rows into it, 1 summary row into a real table",
        ["CREATE TABLE churn_summary (id bigserial PRIMARY KEY, n int)"],
        "BEGIN;\nCREATE TEMP TABLE tmp (a int, b text) ON COMMIT DROP;\n"
        "INSERT INTO tmp SELECT g, 'x' FROM generate_series(1, 20) g;\n"
        "INSERT INTO churn_summary (n) SELECT count(*) FROM tmp;\nCOMMIT;\n",
        1_000,
        "ddl",
    ),
]

# The seed's rules of thumb (wal_overhead.md §3): +5% inserts, +5-15% mixed (10% taken),
# +30-50% UPDATE/DELETE-heavy with FULL (40% taken); no rule for the rest (mixed taken).
RULE_OF_THUMB = {
    ("insert", "logical"): 0.05,
    ("insert", "full"): 0.05,
    ("mixed", "logical"): 0.10,
    ("mixed", "full"): 0.40,
    ("update", "logical"): 0.10,
    ("update", "full"): 0.40,
    ("delete", "logical"): 0.10,
    ("delete", "full"): 0.40,
    ("ddl", "logical"): 0.10,
    ("ddl", "full"): 0.10,
}

SAMPLE_SQL = """
SELECT pg_current_wal_lsn()::text AS lsn, w.wal_bytes::bigint, w.wal_records, w.wal_fpi,
       d.xact_commit, d.xact_rollback, d.tup_inserted, d.tup_updated, d.tup_deleted
FROM pg_stat_wal AS w,
     (SELECT sum(xact_commit)::bigint AS xact_commit, sum(xact_rollback)::bigint AS xact_rollback,
             sum(tup_inserted)::bigint AS tup_inserted, sum(tup_updated)::bigint AS tup_updated,
             sum(tup_deleted)::bigint AS tup_deleted FROM pg_stat_database) AS d
"""
TABLE_COUNTERS_SQL = """
SELECT format('%I.%I', schemaname, relname), n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd
FROM pg_stat_all_tables WHERE schemaname NOT IN ('pg_toast', 'information_schema')
  AND schemaname !~ '^pg_temp' AND schemaname !~ '^pg_toast_temp'
"""
TABLES_SQL = """
SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname),
       (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i
          CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = c.oid AND i.indisprimary),
       c.relreplident, c.reltuples::float8, pg_relation_size(c.oid),
       coalesce(pg_relation_size(nullif(c.reltoastrelid, 0)), 0),
       pg_indexes_size(c.oid),
       (SELECT 24 + sum(avg_width) FROM pg_stats s
        WHERE s.schemaname = n.nspname AND s.tablename = c.relname)::float8
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = 'public'
"""
IDENTITY = {"d": "default", "n": "nothing", "f": "full", "i": "index"}


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def _sample(conn: psycopg.Connection[Any]) -> tuple[WalSample, dict[str, tuple[int, ...]]]:
    row = conn.execute(SAMPLE_SQL).fetchone()
    assert row is not None
    sample = WalSample(
        at=datetime.now(UTC),
        lsn=row[0],
        wal_bytes=row[1],
        wal_records=row[2],
        wal_fpi=row[3],
        xact_commit=row[4],
        xact_rollback=row[5],
        tup_inserted=row[6],
        tup_updated=row[7],
        tup_deleted=row[8],
    )
    counters = {r[0]: tuple(int(v or 0) for v in r[1:]) for r in conn.execute(TABLE_COUNTERS_SQL)}
    return sample, counters


class Sampler(threading.Thread):
    """Samples every ``interval`` seconds until stopped, like the collector's sampler."""

    def __init__(self, conninfo: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.interval = interval
        self.stop_event = threading.Event()
        self.samples: list[WalSample] = []
        self.first, _ = {}, None
        sample, counters = _sample(self.conn)
        self.samples.append(sample)
        self.first = counters
        self.last = counters

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            sample, counters = _sample(self.conn)
            self.samples.append(sample)
            self.last = counters

    def finish(self) -> Sampling:
        self.stop_event.set()
        self.join()
        sample, counters = _sample(self.conn)
        self.samples.append(sample)
        self.last = counters
        self.conn.close()
        deltas: dict[str, dict[str, int]] = {}
        keys = ("n_tup_ins", "n_tup_upd", "n_tup_del", "n_tup_hot_upd")
        for name, now in self.last.items():
            before = self.first.get(name, (0, 0, 0, 0))
            change = [a - b for a, b in zip(now, before, strict=True)]
            if any(change):
                deltas[name] = dict(zip(keys, change, strict=True))
        return Sampling(
            started_at=self.samples[0].at,
            ended_at=self.samples[-1].at,
            interval_seconds=self.interval,
            requested_seconds=(self.samples[-1].at - self.samples[0].at).total_seconds(),
            methods=["lsn", "pg_stat_wal", "row_changes"],
            samples=self.samples,
            table_deltas=deltas,
        )


def _tables(conn: psycopg.Connection[Any]) -> list[Table]:
    tables = []
    for row in conn.execute(TABLES_SQL):
        schema, name, qualified, pk, ident, reltuples, heap, toast, index, width = row
        tables.append(
            Table(
                schema_name=schema,
                name=name,
                qualified_name=qualified,
                replica_identity=ReplicaIdentity(IDENTITY[ident]),
                primary_key=pk,
                reltuples=reltuples,
                heap_bytes=heap,
                toast_bytes=toast,
                index_bytes=index,
                avg_row_bytes=width,
                row_width_source="pg_stats" if width is not None else None,
                can_select=True,
            )
        )
    return tables


def _facts(server: LocalPostgres, dbname: str, tables: list[Table], **extra: Any) -> Facts:
    return Facts(
        tool_version="bench",
        collected_at=datetime.now(UTC),
        target=Target(host="127.0.0.1", port=server.port, dbname=dbname),
        server=Server(
            version=str(server.version_num),
            version_num=server.version_num,
            in_recovery=False,
            current_database=dbname,
            current_user="postgres",
        ),
        settings={
            "max_slot_wal_keep_size": Setting(name="max_slot_wal_keep_size", value="-1", unit="MB")
        },
        tables=tables,
        slots=[],
        **extra,
    )


@dataclass
class Run:
    workload: str
    mode: str
    lsn_bytes: int
    seconds: float
    record_bytes: int = 0
    fpi_bytes: int = 0
    predictions: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)


def _pgbench(server: LocalPostgres, dbname: str, workload: Workload, scripts: Path, n: int) -> None:
    args = ["pgbench", "-n", "-c", "1", "-j", "1", "-t", str(n), "--random-seed=42"]
    if workload.script is None:
        args += ["-b", "tpcb-like"]
    else:
        path = scripts / f"{workload.name}.sql"
        args += ["-f", str(path)]
    server.run_as_server_user([*args, dbname])


def _setup(server: LocalPostgres, dbname: str, workload: Workload, mode: str) -> None:
    with server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    if workload.pgbench_init_scale:
        server.run_as_server_user(
            ["pgbench", "-i", "-q", "-s", str(workload.pgbench_init_scale), dbname]
        )
    with server.connect(dbname) as conn:
        if mode == "replica":
            conn.execute("CREATE EXTENSION pg_walinspect")
        for statement in workload.setup:
            conn.execute(statement)
        if mode == "full":
            for (name,) in conn.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname = 'public'"
            ).fetchall():
                conn.execute(f"ALTER TABLE {name} REPLICA IDENTITY FULL")
        conn.execute("VACUUM ANALYZE")


def run_mode(
    mode: str, workloads: list[Workload], scale: float, scripts: Path, base: Path
) -> list[Run]:
    settings = {**SETTINGS, **MODES[mode]}
    runs: list[Run] = []
    with LocalPostgres(find_bin_dir(15), settings=settings, base_dir=base) as server:
        for workload in workloads:
            n = max(1, int(workload.transactions * scale))
            dbname = f"w_{workload.name}"
            _setup(server, dbname, workload, mode)
            decode_slot = mode == "logical" and workload.name == "tpcb"
            with server.connect(dbname) as conn:
                if decode_slot:
                    conn.execute("CREATE PUBLICATION bench_pub FOR ALL TABLES")
                    conn.execute(
                        "SELECT pg_create_logical_replication_slot('bench_slot', 'pgoutput')"
                    )
                tables = _tables(conn)
                conn.execute("CHECKPOINT")
            time.sleep(1.2)
            sampler = Sampler(server.conninfo(dbname), 0.5) if mode == "replica" else None
            with server.connect(dbname) as conn:
                start = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
            if sampler is not None:
                sampler.start()
            began = time.monotonic()
            _pgbench(server, dbname, workload, scripts, n)
            seconds = time.monotonic() - began
            time.sleep(1.2)
            sampling = sampler.finish() if sampler is not None else None
            with server.connect(dbname) as conn:
                end = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
                assert start is not None and end is not None
                lsn_bytes = conn.execute(
                    "SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::bigint", (end[0], start[0])
                ).fetchone()
                stats = conn.execute("SELECT wal_bytes::bigint FROM pg_stat_wal").fetchone()
                assert lsn_bytes is not None and stats is not None
                run = Run(workload.name, mode, int(lsn_bytes[0]), seconds)
                if sampling is not None:
                    run.predictions = _predict(
                        server, conn, dbname, tables, sampling, start[0], end[0]
                    )
                if decode_slot:
                    run.calibration["decode"] = _decode(conn, int(lsn_bytes[0]))
                if mode == "logical" and workload.name == "temp_churn":
                    run.calibration["invalidations"] = _invalidations(
                        server, dbname, start[0], end[0]
                    )
            log(
                f"{mode:8s} {workload.name:12s} {n:6d} txns {lsn_bytes[0] / MB:8.2f} MB "
                f"{seconds:6.1f} s"
            )
            runs.append(run)
    return runs


def _invalidations(server: LocalPostgres, dbname: str, start: str, end: str) -> dict[str, Any]:
    """XACT_INVALIDATIONS records and messages of the logical run (calibrates the models)."""
    with server.connect(dbname) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        row = conn.execute(
            "SELECT count(*), coalesce(sum(record_length), 0) FROM pg_get_wal_records_info(%s, %s) "
            "WHERE resource_manager = 'Transaction' AND record_type = 'INVALIDATION'",
            (start, end),
        ).fetchone()
    assert row is not None
    records, size = int(row[0]), int(row[1])
    return {"records": records, "messages": (size - 30 * records) / 16 if records else 0}


def _decode(conn: psycopg.Connection[Any], wal_bytes: int) -> dict[str, Any]:
    began = time.monotonic()
    row = conn.execute(
        "SELECT count(*) FROM pg_logical_slot_get_binary_changes('bench_slot', NULL, NULL, "
        "'proto_version', '1', 'publication_names', 'bench_pub')"
    ).fetchone()
    seconds = time.monotonic() - began
    conn.execute("SELECT pg_drop_replication_slot('bench_slot')")
    assert row is not None
    return {
        "wal_bytes": wal_bytes,
        "seconds": seconds,
        "messages": int(row[0]),
        "bytes_per_s": wal_bytes / seconds,
    }


def _predict(
    server: LocalPostgres,
    conn: psycopg.Connection[Any],
    dbname: str,
    tables: list[Table],
    sampling: Sampling,
    start: str,
    end: str,
) -> dict[str, Any]:
    walinspect = collect_walinspect(conn, Lsn(start), Lsn(end))
    full_tables = [t.model_copy(update={"replica_identity": ReplicaIdentity.FULL}) for t in tables]
    profile = get_profile("generic")
    out: dict[str, Any] = {"window_lsn_bytes": None}
    for label, extra in (("statistics", {}), ("walinspect", {"walinspect": walinspect})):
        for identity, which in (("logical", tables), ("full", full_tables)):
            facts = _facts(server, dbname, which, sampling=sampling, **extra)
            est = estimate_all(facts, profile)
            ratio = est.wal.logical_overhead_ratio
            out[f"{label}_{identity}"] = {
                "low": ratio.low,
                "expected": ratio.expected,
                "high": ratio.high,
                "predictor": est.wal.predictor,
            }
    first, last = sampling.samples[0], sampling.samples[-1]
    assert first.lsn and last.lsn
    out["window_lsn_bytes"] = last.lsn.position - first.lsn.position
    out["fpi_bytes"] = sum(g.fpi_bytes for g in walinspect.groups)
    out["record_bytes"] = sum(g.record_bytes for g in walinspect.groups)
    out["catalog_tuples"] = sum(
        (d["n_tup_ins"] + d["n_tup_del"] + 2 * d["n_tup_upd"])
        for n, d in sampling.table_deltas.items()
        if n.startswith("pg_catalog.")
    )
    out["inval_messages"] = sum(g.inval_messages for g in walinspect.groups)
    out["commits"] = sum(g.records for g in walinspect.groups if g.record_type == "COMMIT")
    return out


# --------------------------------------------------------------------------- snapshot


def snapshot_bench(base: Path, rows: int, quick: bool) -> dict[str, Any]:
    """Predicted (read probe + size) vs measured keyset read of a whole table, two chunk sizes."""
    out: dict[str, Any] = {"rows": rows, "chunks": []}
    settings = {**SETTINGS, "wal_level": "replica"}
    with LocalPostgres(find_bin_dir(15), settings=settings, base_dir=base) as server:
        with server.connect() as conn:
            conn.execute("CREATE DATABASE snap")
        with server.connect("snap") as conn:
            conn.execute(
                "CREATE TABLE snap_t (id bigint PRIMARY KEY, a int, b text, c numeric, "
                "d timestamptz, e timestamptz, f text)"
            )
            began = time.monotonic()
            conn.execute(
                "INSERT INTO snap_t SELECT g, g %% 1000, md5(g::text), g * 1.5, now(), now(), "
                "repeat(md5((g + 1)::text), 4) FROM generate_series(1, %s) g",
                (rows,),
            )
            conn.execute("VACUUM ANALYZE snap_t")
            out["load_seconds"] = time.monotonic() - began
            tables = _tables(conn)
            out["heap_bytes"] = tables[0].heap_bytes
        for chunk in (1024, 8192):
            with server.connect("snap", autocommit=False) as conn:
                probe = run_read_probe(
                    conn, tables, max_bytes=64 * 1024**2, max_seconds=3.0, chunk_rows=chunk
                )
                conn.rollback()
            facts = _facts(server, "snap", tables, read_probe=probe)
            est = estimate_all(
                facts,
                get_profile("generic"),
                EstimateOptions(consumer_rows_per_s=1e12, consumer_bytes_per_s=1e15),
            )
            assert est.snapshot.seconds is not None
            predicted = est.snapshot.seconds.as_dict()
            measured = []
            for _ in range(1 if quick else 2):
                measured.append(_keyset_read(server, chunk))
            out["chunks"].append(
                {
                    "chunk_rows": chunk,
                    "probe_chunks": len(probe.tables[0].chunk_seconds),
                    "probe_seconds": probe.tables[0].seconds,
                    "predicted": predicted,
                    "measured": measured,
                }
            )
            log(
                f"snapshot chunk {chunk}: predicted {predicted['expected']:.2f} s, "
                f"measured {', '.join(f'{m:.2f}' for m in measured)} s"
            )
    return out


def _keyset_read(server: LocalPostgres, chunk: int) -> float:
    """The whole table in keyset chunks, rows left in the libpq result (like the probe)."""
    with server.connect("snap") as conn, conn.cursor() as cur:
        began = time.monotonic()
        last = None
        while True:
            if last is None:
                cur.execute("SELECT * FROM snap_t ORDER BY id LIMIT %s", (chunk,))
            else:
                cur.execute(
                    "SELECT * FROM snap_t WHERE id > %s ORDER BY id LIMIT %s", (last, chunk)
                )
            n = cur.rowcount
            if n < chunk:
                break
            cur.scroll(n - 1, mode="absolute")
            row = cur.fetchone()
            assert row is not None
            last = row[0]
        return time.monotonic() - began


# --------------------------------------------------------------------------- report


def _err(predicted: float, measured: float) -> float:
    return predicted / measured - 1 if measured else math.nan


def _pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value * 100:+.1f}%"


def summarize(runs: list[Run], snapshot: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    by = {(r.workload, r.mode): r for r in runs}
    lines: list[str] = []
    summary: dict[str, Any] = {"wal": [], "snapshot": snapshot}
    lines.append(
        "| workload | target | replica MB | measured MB | Δ measured | rule of thumb | "
        "err thumb | statistics (A) | err A | pg_walinspect (B) | err B | B range |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    errors: dict[str, dict[str, list[float]]] = {
        t: {"thumb": [], "A": [], "B": []} for t in ("logical", "full")
    }
    for workload in WORKLOADS:
        replica = by.get((workload.name, "replica"))
        if replica is None:
            continue
        base = replica.lsn_bytes
        window = replica.predictions["window_lsn_bytes"]
        for target in ("logical", "full"):
            truth = by.get((workload.name, target))
            if truth is None:
                continue
            thumb = base * (1 + RULE_OF_THUMB[(workload.kind, target)])
            a = replica.predictions[f"statistics_{target}"]
            b = replica.predictions[f"walinspect_{target}"]
            # the ratios apply to the sampled window; the extra bytes are added to the run's WAL
            pred_a = base + window * a["expected"]
            pred_b = base + window * b["expected"]
            low_b, high_b = base + window * b["low"], base + window * b["high"]
            ea, eb, et = (
                _err(pred_a, truth.lsn_bytes),
                _err(pred_b, truth.lsn_bytes),
                _err(thumb, truth.lsn_bytes),
            )
            errors[target]["A"].append(ea)
            errors[target]["B"].append(eb)
            errors[target]["thumb"].append(et)
            inside = "yes" if low_b <= truth.lsn_bytes <= high_b else "no"
            lines.append(
                f"| {workload.name} | {target} | {base / MB:.2f} | {truth.lsn_bytes / MB:.2f} | "
                f"{_pct(truth.lsn_bytes / base - 1)} | {thumb / MB:.2f} | {_pct(et)} | "
                f"{pred_a / MB:.2f} | {_pct(ea)} | {pred_b / MB:.2f} | {_pct(eb)} | "
                f"{low_b / MB:.2f}-{high_b / MB:.2f} ({inside}) |"
            )
            summary["wal"].append(
                {
                    "workload": workload.name,
                    "target": target,
                    "replica_bytes": base,
                    "measured_bytes": truth.lsn_bytes,
                    "rule_of_thumb_bytes": thumb,
                    "statistics_bytes": pred_a,
                    "walinspect_bytes": pred_b,
                    "walinspect_range": [low_b, high_b],
                    "replica_record_bytes": replica.predictions["record_bytes"],
                    "replica_fpi_bytes": replica.predictions["fpi_bytes"],
                }
            )
    stats_lines = [
        "| target | predictor | median abs error | worst error | within ±10% |",
        "|---|---|---:|---:|---:|",
    ]
    for target, by_model in errors.items():
        for model, values in by_model.items():
            if not values:
                continue
            label = {"thumb": "rule of thumb", "A": "statistics (A)", "B": "pg_walinspect (B)"}[
                model
            ]
            worst = max(values, key=abs)
            inside = sum(1 for v in values if abs(v) <= 0.10)
            stats_lines.append(
                f"| {target} | {label} | {statistics.median(abs(v) for v in values) * 100:.1f}% | "
                f"{_pct(worst)} | {inside}/{len(values)} |"
            )
    return "\n".join(lines) + "\n\n" + "\n".join(stats_lines), summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the transactions")
    parser.add_argument("--snapshot-rows", type=int, default=1_500_000)
    parser.add_argument("--only", help="comma-separated workload names")
    parser.add_argument("--no-report", action="store_true", help="do not write docs/accuracy.md")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    workloads = [w for w in WORKLOADS if not args.only or w.name in args.only.split(",")]
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cdcbench-") as tmp:
        base = Path(tmp)
        base.chmod(0o755)
        scripts = base / "scripts"
        scripts.mkdir()
        scripts.chmod(0o755)
        for workload in workloads:
            if workload.script is not None:
                path = scripts / f"{workload.name}.sql"
                path.write_text(workload.script)
                path.chmod(0o644)
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = [pool.submit(run_mode, m, workloads, scale, scripts, base) for m in MODES]
            runs = [run for future in futures for run in future.result()]
        snapshot = snapshot_bench(base, args.snapshot_rows // (10 if args.quick else 1), args.quick)
    elapsed = time.monotonic() - began
    table, summary = summarize(runs, snapshot)
    calibration = {f"{r.workload}/{r.mode}": r.calibration for r in runs if r.calibration}
    replica_extra = {
        r.workload: {
            k: r.predictions.get(k) for k in ("catalog_tuples", "inval_messages", "commits")
        }
        for r in runs
        if r.mode == "replica"
    }
    summary.update(
        calibration=calibration, replica=replica_extra, elapsed_seconds=elapsed, quick=args.quick
    )
    print(table)
    print(json.dumps({"calibration": calibration, "replica": replica_extra}, indent=1))
    if not args.no_report:
        RESULTS.write_text(json.dumps(summary, indent=1, default=str) + "\n")
        write_report(
            REPORT, table, summary, [(w.name, w.description, w.transactions) for w in WORKLOADS]
        )
    log(f"done in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
