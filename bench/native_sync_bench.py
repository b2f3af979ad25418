"""Native logical replication's initial table sync, measured and modelled (issue 15, item 1).

``python -m bench.native_sync_bench [--majors 15,18] [--quick] [--repeats N]``

For each PostgreSQL major, two throw-away servers (``audit.demo.localpg.LocalPostgres``) run on
this machine: a publisher (``wal_level=logical``) and a subscriber. For each table shape:

1. the shape's tables are created and loaded on the publisher (``VACUUM ANALYZE``), with a
   publication ``FOR TABLE`` them;
2. ``collect`` runs on the publisher (``collect_postgres``, no sampling window, read probe on):
   the facts a user's audit would have;
3. per repeat and per ``max_sync_workers_per_subscription``, a fresh subscriber database gets the
   same DDL (tables and indexes, as ``pg_dump --schema-only`` would give it) and
   ``CREATE SUBSCRIPTION ... WITH (copy_data = true)``; the time from that statement until every
   table of the subscription is ``r`` (ready) in ``pg_subscription_rel`` is the measured sync
   time (polled every 20 ms); the subscription is then dropped;
4. the model's estimate (``estimate_all`` with ``profile=native`` and ``native_sync_workers``)
   is computed from the facts of step 2 only.

The median of the repeats is the measurement; the 1-minute load average before each run is
recorded, and each server's CPU seconds over the run (``server_cpu_seconds``: per process, from
/proc), which give the model's CPU costs; the model is told that publisher and subscriber share
this machine's cores. Shapes are split into a *training* set, whose measurements fit the
constants of ``audit/estimate/native_sync.py`` (``--fit`` prints a least-squares fit,
non-negative, over the training runs of PostgreSQL 15 and 18), and a *test* set that is never
fitted on; every run of another major is a test run. A background trickle of commits keeps the
publisher live (see ``Trickle``). ``--only`` runs some shapes again and merges them into the
stored results; ``--cpu-only`` runs again for the CPU seconds only, kept beside the timings.

Results go to bench/native_sync_results.json and the "Native logical replication: initial
table sync" section of docs/accuracy.md (``--no-report``: print only; ``--from-results``:
re-evaluate the model on the stored facts and measurements without running servers).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

if __package__ in (None, ""):  # run as `python bench/native_sync_bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.collect.postgres import collect_postgres
from audit.demo.localpg import LocalPostgres, find_bin_dir
from audit.engine.profile import get_profile
from audit.estimate import estimate_all
from audit.estimate import native_sync as ns
from audit.estimate.options import EstimateOptions
from audit.facts import Facts

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "accuracy.md"
RESULTS = ROOT / "bench" / "native_sync_results.json"
NOTES_FILE = ROOT / "bench" / "native_sync_notes.md"
SECTION = "## Native logical replication: initial table sync (issue 15)"
MB = 1e6
POLL = 0.02
# publisher and subscriber run on this machine's cores: the model is told so (its CPU floor)
HOST_CPUS = float(os.cpu_count() or 1)
TIMEOUT = 900.0
LAST_CREATE: dict[int, float] = {}
# the facts the snapshot estimate reads (the rest is left out of the results file)
TABLE_FIELDS = {"schema_name", "name", "qualified_name", "kind", "unlogged", "replica_identity"}
TABLE_FIELDS |= {"primary_key", "reltuples", "heap_bytes", "toast_bytes", "index_bytes"}
TABLE_FIELDS |= {"avg_row_bytes", "n_live_tup", "can_select"}
KEPT_FACTS: dict[str, Any] = {
    **dict.fromkeys(["schema_version", "tool_version", "collected_at", "target", "server"], True),
    **dict.fromkeys(["read_probe"], True),
    "tables": {"__all__": TABLE_FIELDS},
}

PUBLISHER = {
    "wal_level": "logical",
    "max_wal_senders": "20",
    "max_replication_slots": "20",
    "shared_buffers": "256MB",
    "checkpoint_timeout": "1h",
    "max_wal_size": "8GB",
    "autovacuum": "off",
    "jit": "off",
}
SUBSCRIBER = {
    "max_logical_replication_workers": "8",
    "max_worker_processes": "16",
    "max_replication_slots": "20",
    "shared_buffers": "256MB",
    "checkpoint_timeout": "1h",
    "max_wal_size": "8GB",
    "autovacuum": "off",
    "jit": "off",
}


@dataclass(frozen=True)
class Shape:
    name: str
    description: str
    tables: int  # how many tables of the same DDL (t1..tN), or 0 for `ddl` as given
    ddl: str  # {t} stands for the table name
    load: str  # INSERT ... for {t}; {n} rows (scaled by --quick), {i} the table's ordinal
    rows: int
    workers: tuple[int, ...] = (2,)
    training: bool = False
    sizes: tuple[float, ...] = field(default=())  # per-table row factors (mixed sizes)


SHAPES = [
    Shape(
        "tiny",
        "1 table of 100 rows, primary key: the fixed overheads alone",
        1,
        "CREATE TABLE {t} (id bigint PRIMARY KEY, a int)",
        "INSERT INTO {t} SELECT g, g FROM generate_series(1, {n}) g",
        100,
        workers=(1,),
        training=True,
    ),
    Shape(
        "narrow",
        "1 table, 3 int columns (~40 B rows), primary key",
        1,
        "CREATE TABLE {t} (id bigint PRIMARY KEY, a int, b int)",
        "INSERT INTO {t} SELECT g, g % 1000, g % 7 FROM generate_series(1, {n}) g",
        1_500_000,
        training=True,
    ),
    Shape(
        "toast",
        "1 table, ~8 KB of uncompressible text per row (TOASTed), primary key",
        1,
        "CREATE TABLE {t} (id bigint PRIMARY KEY, body text)",
        "INSERT INTO {t} SELECT g, (SELECT string_agg(md5(random()::text || g || s), '') "
        "FROM generate_series(1, 256) s) FROM generate_series(1, {n}) g",
        8_000,
        training=True,
    ),
    Shape(
        "many_indexes",
        "1 table, ~90 B rows, primary key + 6 secondary btree indexes (on the subscriber too)",
        1,
        "CREATE TABLE {t} (id bigint PRIMARY KEY, a int, b int, c bigint, d text, "
        "e timestamptz, f numeric); CREATE INDEX ON {t} (a); CREATE INDEX ON {t} (b); "
        "CREATE INDEX ON {t} (c); CREATE INDEX ON {t} (d); CREATE INDEX ON {t} (e); "
        "CREATE INDEX ON {t} (f)",
        "INSERT INTO {t} SELECT g, (g::bigint * 7919) % 100000, g % 5000, g::bigint * 31, "
        "md5(g::text), "
        "now() - g * interval '1 s', g * 1.25 FROM generate_series(1, {n}) g",
        400_000,
        training=True,
    ),
    Shape(
        "many_small",
        "200 tables of 500 rows (~60 B), primary key each",
        200,
        "CREATE TABLE {t} (id bigint PRIMARY KEY, a int, b text)",
        "INSERT INTO {t} SELECT g, g, md5(g::text) FROM generate_series(1, {n}) g",
        500,
        workers=(1, 2, 4),
        training=True,
    ),
    Shape(
        "wide",
        "1 table, 24 columns (~400 B rows: text, numeric, timestamptz, int), primary key",
        1,
        "CREATE TABLE {t} (id bigint PRIMARY KEY, "
        + ", ".join(
            f"c{k} {typ}"
            for k, typ in enumerate(["text", "numeric", "int"] * 7 + ["timestamptz"] * 2)
        )
        + ")",
        "INSERT INTO {t} SELECT g, "
        + ", ".join(
            {"text": "md5(g::text || '{k}')", "numeric": "g * {k}.5", "int": "g + {k}"}[typ].format(
                k=k
            )
            for k, typ in enumerate(["text", "numeric", "int"] * 7)
        )
        + ", now(), now() FROM generate_series(1, {n}) g",
        150_000,
        training=True,
    ),
    Shape(
        "jsonb",
        "1 table, jsonb documents of ~400 B, primary key",
        1,
        "CREATE TABLE {t} (id bigint PRIMARY KEY, doc jsonb)",
        "INSERT INTO {t} SELECT g, jsonb_build_object('id', g, 'name', md5(g::text), "
        "'tags', jsonb_build_array(md5((g + 1)::text), md5((g + 2)::text), g % 17), "
        "'address', jsonb_build_object('street', md5((g + 3)::text), 'zip', g % 99999, "
        "'city', md5((g + 4)::text)), 'score', g * 0.5, 'active', g % 2 = 0) "
        "FROM generate_series(1, {n}) g",
        150_000,
    ),
    Shape(
        "one_huge",
        "1 table of ~200 MB, ~130 B rows, primary key + 1 index",
        1,
        "CREATE TABLE {t} (id bigint PRIMARY KEY, a int, b text, c timestamptz, d text); "
        "CREATE INDEX ON {t} (a)",
        "INSERT INTO {t} SELECT g, g % 100000, md5(g::text), now(), md5((g * 3)::text) "
        "FROM generate_series(1, {n}) g",
        1_400_000,
    ),
    Shape(
        "mixed",
        "8 tables of 10k-400k rows (~100 B), primary key + 1 index each",
        8,
        "CREATE TABLE {t} (id bigint PRIMARY KEY, a int, b text, c text); CREATE INDEX ON {t} (a)",
        "INSERT INTO {t} SELECT g, g % 1000, md5(g::text), md5((g + 1)::text) "
        "FROM generate_series(1, {n}) g",
        100_000,
        workers=(1, 2, 4),
        sizes=(4.0, 2.5, 1.5, 1.0, 0.6, 0.4, 0.2, 0.1),
    ),
]


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _ddl(shape: Shape) -> list[str]:
    out: list[str] = []
    for i in range(1, shape.tables + 1):
        out += [s.strip() for s in shape.ddl.format(t=f"t{i}").split(";") if s.strip()]
    return out


def _build(publisher: LocalPostgres, shape: Shape, scale: float) -> str:
    dbname = f"s_{shape.name}"
    with publisher.connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {dbname}")
        conn.execute(f"CREATE DATABASE {dbname}")
    with publisher.connect(dbname) as conn:
        for statement in _ddl(shape):
            conn.execute(statement)
        for i in range(1, shape.tables + 1):
            factor = shape.sizes[i - 1] if shape.sizes else 1.0
            n = max(10, int(shape.rows * scale * factor))
            conn.execute(shape.load.replace("{n}", str(n)).replace("{t}", f"t{i}"))
        conn.execute("VACUUM ANALYZE")
        names = ", ".join(f"t{i}" for i in range(1, shape.tables + 1))
        conn.execute(f"CREATE PUBLICATION pub FOR TABLE {names}")
        conn.execute("CHECKPOINT")
    return dbname


class Trickle(threading.Thread):
    """A light write load on the publisher, outside the publication: a live database.

    An idle publisher writes no WAL after the last sync slot, and PostgreSQL 15's apply worker
    marks the last tables ready only once it has received WAL past them (up to the next
    running-xacts record, every 15 s): an artifact of an idle bench, not of a live server."""

    def __init__(self, conninfo: str, per_second: float = 20.0) -> None:
        super().__init__(daemon=True)
        self.conninfo, self.pause = conninfo, 1 / per_second
        self.halt = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS trickle (at timestamptz)")
            while not self.halt.wait(self.pause):
                conn.execute("INSERT INTO trickle VALUES (now())")

    def stop(self) -> None:
        self.halt.set()
        self.join()


def server_cpu_seconds(server: LocalPostgres) -> float:
    """CPU seconds (user + system) the server's processes have used so far: the postmaster's
    own and its reaped children's (``cutime`` / ``cstime``: a sync worker or walsender that
    has exited), plus every live child's. Read from /proc; per process, so other load on the
    machine does not count."""
    pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # from field 3 (state) on
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        if int(entry.name) == pid:
            ticks += utime + stime + cutime + cstime
        elif int(fields[1]) == pid:
            ticks += utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _sync_once(
    publisher: LocalPostgres, subscriber: LocalPostgres, shape: Shape, dbname: str, workers: int
) -> dict[str, Any]:
    with subscriber.connect() as conn:
        conn.execute(f"ALTER SYSTEM SET max_sync_workers_per_subscription = {workers}")
        conn.execute("SELECT pg_reload_conf()")
        conn.execute(f"DROP DATABASE IF EXISTS {dbname}")
        conn.execute(f"CREATE DATABASE {dbname}")
    with subscriber.connect(dbname) as conn:
        for statement in _ddl(shape):
            conn.execute(statement)
        conn.execute("CHECKPOINT")
        # the launcher starts apply workers at most every wal_retrieve_retry_interval (PG15: one
        # timer for all subscriptions): a bench artifact a real, single subscription never pays
        row = conn.execute(
            "SELECT setting::float / 1000 FROM pg_settings "
            "WHERE name = 'wal_retrieve_retry_interval'"
        ).fetchone()
        assert row is not None
        last = LAST_CREATE.get(subscriber.port)
        if last is not None:
            time.sleep(max(0.0, last + row[0] + 0.5 - time.monotonic()))
        load = os.getloadavg()[0]
        LAST_CREATE[subscriber.port] = time.monotonic()
        cpu_before = server_cpu_seconds(publisher), server_cpu_seconds(subscriber)
        began = time.monotonic()
        conn.execute(
            f"CREATE SUBSCRIPTION sub CONNECTION '{publisher.conninfo(dbname)}' "
            "PUBLICATION pub WITH (copy_data = true)"
        )
        while True:
            row = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE srsubstate = 'r') FROM pg_subscription_rel"
            ).fetchone()
            assert row is not None
            if row[0] == shape.tables and row[1] == row[0]:
                break
            if time.monotonic() - began > TIMEOUT:
                raise RuntimeError(f"{shape.name}: sync not done after {TIMEOUT:.0f} s")
            time.sleep(POLL)
        seconds = time.monotonic() - began
        conn.execute("DROP SUBSCRIPTION sub")
        # PostgreSQL 15's launcher starts the terminated apply worker once more while the
        # subscription is dropped (it then exits: "subscription was removed during startup"),
        # and that start also sets its one timer: the next CREATE SUBSCRIPTION would wait up to
        # wal_retrieve_retry_interval for its apply worker. Seen in the subscriber's log; the
        # next run waits for the timer from here, not from this run's CREATE.
        LAST_CREATE[subscriber.port] = time.monotonic()
    time.sleep(0.3)  # the sync walsenders exit and are reaped (their CPU moves to cutime)
    cpu = [
        after - before
        for before, after in zip(
            cpu_before, (server_cpu_seconds(publisher), server_cpu_seconds(subscriber)), strict=True
        )
    ]
    with subscriber.connect() as conn:
        conn.execute(f"DROP DATABASE {dbname}")
    return {"seconds": seconds, "load1": load, "cpu_publisher": cpu[0], "cpu_subscriber": cpu[1]}


def run_major(
    major: int, shapes: list[Shape], scale: float, repeats: int, base: Path
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    bins = find_bin_dir(major)
    with (
        LocalPostgres(bins, settings=PUBLISHER, base_dir=base) as publisher,
        LocalPostgres(bins, settings=SUBSCRIBER, base_dir=base) as subscriber,
    ):
        for shape in shapes:
            began = time.monotonic()
            dbname = _build(publisher, shape, scale)
            load_seconds = time.monotonic() - began
            facts = collect_postgres(publisher.conninfo(dbname), sample_seconds=0)
            runs: dict[str, list[dict[str, Any]]] = {}
            trickle = Trickle(publisher.conninfo(dbname))
            trickle.start()
            for _, workers in itertools.product(range(repeats), shape.workers):
                run = _sync_once(publisher, subscriber, shape, dbname, workers)
                runs.setdefault(str(workers), []).append(run)
                log(
                    f"PG{major} {shape.name:12s} workers={workers} {run['seconds']:7.2f} s "
                    f"(load {run['load1']:.2f})"
                )
            trickle.stop()
            with publisher.connect() as conn:
                conn.execute(f"DROP DATABASE {dbname}")
            out[shape.name] = {
                "load_seconds": load_seconds,
                "facts": facts.model_dump(mode="json", include=KEPT_FACTS),
                "runs": runs,
            }
    return out


# --------------------------------------------------------------------------- model and report


def _estimate(facts: Facts, workers: int) -> dict[str, Any]:
    options = EstimateOptions(
        native_sync_workers=workers,
        native_sync_cpus=HOST_CPUS,
        native_sync_shared_host=True,
    )
    est = estimate_all(facts, get_profile("native"), options)
    snap = est.snapshot
    assert snap.seconds is not None, snap.assumptions
    return {"seconds": snap.seconds.as_dict(), "inputs": snap.inputs}


def _shape_totals(facts: Facts) -> dict[str, float]:
    tables = [t for t in facts.tables or [] if t.schema_name == "public"]
    return {
        "tables": len(tables),
        "rows": sum(t.reltuples or 0 for t in tables),
        "bytes": sum((t.heap_bytes or 0) + (t.toast_bytes or 0) for t in tables),
        "heap": sum(t.heap_bytes or 0 for t in tables),
        "toast": sum(t.toast_bytes or 0 for t in tables),
        "index_bytes": sum(t.index_bytes or 0 for t in tables),
    }


def evaluate(raw: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    by_name = {s.name: s for s in SHAPES}
    for major, shapes in sorted(raw.items(), key=lambda kv: int(kv[0])):
        for name, result in shapes.items():
            facts = Facts.model_validate(result["facts"])
            for workers, runs in sorted(result["runs"].items(), key=lambda kv: int(kv[0])):
                measured = statistics.median(r["seconds"] for r in runs)
                predicted = _estimate(facts, int(workers))["seconds"]
                rows.append(
                    {
                        "major": int(major),
                        "shape": name,
                        "set": "training"
                        if by_name[name].training and int(major) in FIT_MAJORS
                        else "test",
                        "workers": int(workers),
                        "measured": measured,
                        "runs": [r["seconds"] for r in runs],
                        "load1": statistics.median(r["load1"] for r in runs),
                        "predicted": predicted,
                        "error": predicted["expected"] / measured - 1,
                        "covers": predicted["low"] <= measured <= predicted["high"],
                        **_shape_totals(facts),
                    }
                )
    return rows


FIT_MAJORS = (15, 18)
FIT_NAMES = [
    "subscription_s[15]",
    "per_table_s[15]",
    "subscription_s[18]",
    "per_table_s[18]",
    "per_row_s",
    "per_heap_byte_s",
    "per_toast_byte_s",
    "per_key_index_byte_s",
    "per_other_index_byte_s",
]


def fit(raw: dict[str, Any]) -> dict[str, float]:
    """Non-negative least squares, in relative error, of the training runs of PostgreSQL 15 and
    18 (16 is validation only). Training shapes have equal tables, so the queue's makespan is
    linear in the constants: subscription + ceil(tables / workers) x (per_table + apply of one
    table). Apply costs are common to both majors; the fixed overheads are per major."""
    by_name = {s.name: s for s in SHAPES}
    xs: list[list[float]] = []
    for major, shapes in raw.items():
        if int(major) not in FIT_MAJORS:
            continue
        for name, result in shapes.items():
            if not by_name[name].training:
                continue
            t = _shape_totals(Facts.model_validate(result["facts"]))
            n = t["tables"]
            for workers, runs in result["runs"].items():
                if n > 1 and int(workers) > 1:  # syncs side by side share the host's cores:
                    continue  # the CPU floor's measured costs, not these constants, say how
                y = statistics.median(r["seconds"] for r in runs)
                k = math.ceil(n / int(workers))
                fixed = [0.0] * 4
                at = 2 * FIT_MAJORS.index(int(major))
                fixed[at], fixed[at + 1] = 1.0, float(k)
                rows, index = t["rows"] / n, t["index_bytes"] / n
                key = min(index, rows * ns.KEY_INDEX_BYTES_PER_ROW)
                per = [rows, t["heap"] / n, t["toast"] / n, key, index - key]
                xs.append([v / y for v in fixed + [k * v for v in per]])
    a = np.array(xs)
    b = np.ones(len(xs))
    best: tuple[float, Any] | None = None
    for mask in itertools.product([0, 1], repeat=a.shape[1]):
        cols = [i for i, m in enumerate(mask) if m]
        if not cols:
            continue
        sol, *_ = np.linalg.lstsq(a[:, cols], b, rcond=None)
        if (sol < 0).any():
            continue
        full = np.zeros(a.shape[1])
        full[cols] = sol
        err = float(np.sum((a @ full - b) ** 2))
        if best is None or err < best[0]:
            best = (err, full)
    assert best is not None
    return dict(zip(FIT_NAMES, best[1].tolist(), strict=True))


def cpu_costs(raw: dict[str, Any]) -> dict[str, float]:
    """The servers' CPU per table sync (``native_sync.CPU``), from the runs that recorded it:
    the per-table costs from many_small on one worker (500-row tables: little else), the
    publisher's per byte and the subscriber's per second of apply from the one-table shapes."""
    per_table: dict[str, list[float]] = {"publisher": [], "subscriber": []}
    per_byte: list[float] = []
    per_apply_second: list[float] = []
    for shapes in raw.values():
        for name, result in shapes.items():
            t = _shape_totals(Facts.model_validate(result["facts"]))
            runs = [
                (int(w), r)
                for key in ("runs", "cpu_runs")
                for w, rs in result.get(key, {}).items()
                for r in rs
                if "cpu_subscriber" in r
            ]
            for workers, r in runs:
                if name == "many_small" and workers == 1:
                    per_table["publisher"].append(r["cpu_publisher"] / t["tables"])
                    per_table["subscriber"].append(r["cpu_subscriber"] / t["tables"])
                elif t["tables"] == 1 and t["bytes"] > 10 * MB:
                    per_byte.append(r["cpu_publisher"] / t["bytes"])
                    per_apply_second.append(r["cpu_subscriber"] / r["seconds"])
    return {
        "subscriber_per_table": statistics.median(per_table["subscriber"]),
        "publisher_per_table": statistics.median(per_table["publisher"]),
        "publisher_per_byte": statistics.median(per_byte),
        "subscriber_per_apply_second": statistics.median(per_apply_second),
        "runs": len(per_byte) + len(per_table["publisher"]),
    }


def summarize(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| PG | shape | set | workers | tables | rows | MB (heap+TOAST) | index MB | measured s "
        "(runs) | load | model s (low-high) | error | inside |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---:|---|---:|---|",
    ]
    for r in rows:
        p = r["predicted"]
        lines.append(
            f"| {r['major']} | {r['shape']} | {r['set']} | {r['workers']} | {r['tables']} | "
            f"{r['rows']:,.0f} | {r['bytes'] / MB:.0f} | {r['index_bytes'] / MB:.0f} | "
            f"{r['measured']:.2f} ({', '.join(f'{s:.2f}' for s in r['runs'])}) | "
            f"{r['load1']:.1f} | {p['expected']:.2f} ({p['low']:.2f}-{p['high']:.2f}) | "
            f"{r['error'] * 100:+.1f}% | {'yes' if r['covers'] else 'NO'} |"
        )
    lines += [
        "",
        "| set | PG | runs | median abs error | worst error | within ±25% | inside low-high |",
    ]
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    majors = sorted({r["major"] for r in rows})
    for label, major in itertools.product(("training", "test"), [None, *majors]):
        chosen = [r for r in rows if r["set"] == label and (major is None or r["major"] == major)]
        if not chosen:
            continue
        errors = [r["error"] for r in chosen]
        lines.append(
            f"| {label} | {major or 'all'} | {len(chosen)} | "
            f"{statistics.median(abs(e) for e in errors) * 100:.1f}% | "
            f"{max(errors, key=abs) * 100:+.1f}% | "
            f"{sum(abs(e) <= 0.25 for e in errors)}/{len(chosen)} | "
            f"{sum(r['covers'] for r in chosen)}/{len(chosen)} |"
        )
    return "\n".join(lines)


def write_section(table: str, elapsed: float, args: str) -> None:
    text = REPORT.read_text()
    before, _, after = text.partition(SECTION)
    rest = after.split("\n## ", 1)
    tail = ("\n## " + rest[1]) if len(rest) > 1 else ""
    apply = ns.APPLY
    overheads = "; ".join(
        f"PostgreSQL {major}: {sub:g} s per subscription, {table:g} s per table"
        for major, (sub, table) in ns.OVERHEADS.items()
    )
    lines = [
        SECTION,
        "",
        f"Generated by `python -m bench.native_sync_bench{args}` on {datetime.now(UTC):%Y-%m-%d} "
        f"({elapsed:.0f} s of servers). Method: see the module docstring of "
        "`bench/native_sync_bench.py`; model: `audit/estimate/native_sync.py`.",
        "",
        "| shape | set | tables and rows |",
        "|---|---|---|",
        *(
            f"| {s.name} | {'training' if s.training else 'test'} | {s.description} |"
            for s in SHAPES
        ),
        "",
        "Constants of the model (fitted on the *training* shapes of PostgreSQL 15 and 18 only, "
        "`--fit`, then rounded and fixed in `audit/estimate/native_sync.py`): "
        f"{apply['per_row'] * 1e6:g} µs per row, {apply['per_heap_byte'] * 1e9:g} ns per heap "
        f"byte, {apply['per_toast_byte'] * 1e9:g} ns per TOAST byte, "
        f"{apply['per_key_index_byte'] * 1e9:g} ns per primary-key index byte (up to "
        f"{ns.KEY_INDEX_BYTES_PER_ROW:g} B per row), {apply['per_other_index_byte'] * 1e9:g} ns "
        f"per other index byte; {overheads}. PostgreSQL 16 and 17 use the 18 constants and are "
        "validation only: all their rows are test rows. CPU per sync (measured from the "
        "servers' processes, `--fit` prints them): the subscriber "
        f"{ns.CPU.subscriber_per_apply_second:g} CPU s per second of apply and "
        f"{ns.CPU.subscriber_per_table * 1000:g} ms per table, the publisher "
        f"{ns.CPU.publisher_per_byte * 1e9:g} ns per heap + TOAST byte and "
        f"{ns.CPU.publisher_per_table * 1000:g} ms per table; the model is told this host's "
        f"{HOST_CPUS:g} cores are shared by publisher and subscriber (`native_sync_cpus`, "
        "`native_sync_shared_host`).",
        "",
        table,
        "",
        NOTES_FILE.read_text().strip() if NOTES_FILE.exists() else "",
        "",
    ]
    REPORT.write_text(before.rstrip() + "\n\n" + "\n".join(lines) + tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--majors", default="15,18", help="PostgreSQL majors (default 15,18)")
    parser.add_argument("--quick", action="store_true", help="a fifth of the rows, 1 repeat")
    parser.add_argument("--repeats", type=int, default=2, help="runs per cell (default 2)")
    parser.add_argument("--only", help="comma-separated shape names")
    parser.add_argument("--no-report", action="store_true", help="print only")
    parser.add_argument("--fit", action="store_true", help="print the training-set fit")
    parser.add_argument(
        "--from-results", action="store_true", help="re-evaluate the stored results"
    )
    parser.add_argument(
        "--cpu-only",
        action="store_true",
        help="run again for the servers' CPU seconds only, kept beside the stored timings "
        "(CPU per process is not moved by other load on the machine; wall time is)",
    )
    args = parser.parse_args(argv)
    shapes = [s for s in SHAPES if not args.only or s.name in args.only.split(",")]
    elapsed = 0.0
    if args.from_results:
        stored = json.loads(RESULTS.read_text())
        raw, elapsed, flags = stored["raw"], stored["elapsed"], stored.get("args", "")
    else:
        scale = 0.2 if args.quick else 1.0
        repeats = 1 if args.quick else args.repeats
        raw, before = {}, 0.0
        if (args.only or args.cpu_only) and RESULTS.exists():  # keep the others' results
            stored = json.loads(RESULTS.read_text())
            raw, before = stored["raw"], stored["elapsed"]
        began = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="cdcnative-") as tmp:
            base = Path(tmp)
            base.chmod(0o755)
            for major in (int(v) for v in args.majors.split(",")):
                measured = run_major(major, shapes, scale, repeats, base)
                if args.cpu_only:  # the CPU figures go beside the stored timings
                    for name, result in measured.items():
                        stored_shape = raw[str(major)][name]
                        stored_shape["cpu_runs"] = result["runs"]
                else:
                    raw.setdefault(str(major), {}).update(measured)
        elapsed = before + time.monotonic() - began
        flags = " --quick" if args.quick else ""
    if not args.no_report and not args.from_results:  # raw first: evaluation may be refitted
        RESULTS.write_text(json.dumps({"elapsed": elapsed, "args": flags, "raw": raw}) + "\n")
    if args.fit:
        print(json.dumps({**fit(raw), "cpu": cpu_costs(raw)}, indent=1))
    rows = evaluate(raw)
    table = summarize(rows)
    print(table)
    if not args.no_report:
        RESULTS.write_text(
            json.dumps(
                {"elapsed": elapsed, "args": flags, "rows": rows, "raw": raw},
                separators=(",", ":"),
            )
            + "\n"
        )
        write_section(table, elapsed, flags)
    return 0


if __name__ == "__main__":
    sys.exit(main())
