"""WAL rate without WAL positions (issue 16): ``python -m bench.no_lsn_accuracy``.

For each workload and PostgreSQL version, two throw-away servers run the same pgbench
transactions (fixed count, fixed seed):

- ``replica`` (``wal_level=replica``, as Aurora before ``rds.logical_replication`` is on) is
  audited twice over the same window: by the collector's own sampler as a ``pg_monitor`` role
  that may not run ``pg_current_wal_lsn()`` or read ``pg_stat_wal`` (revoked, as
  tests/collect/test_collect_sampler.py does), so the WAL rate is modelled from row changes and
  checkpoints; and by a superuser sampler that reads WAL positions (the LSN method);
- ``logical`` (``wal_level=logical``): the measured truth, LSN bytes over the run.

Each prediction is the estimate's logical WAL over the window (``wal.logical_bytes_per_s`` x
the window), compared with the truth. *previous* is the method before issue 16 (record bytes
x 2, i.e. full-page images taken as half the WAL), on the same facts.

Writes the "WAL rate without WAL positions" section of docs/accuracy.md and
bench/no_lsn_results.json; ``--quick`` runs a fifth of the transactions, ``--no-report`` only
prints.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

if __package__ in (None, ""):  # run as `python bench/no_lsn_accuracy.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.collect.sampler import METHODS, Sampler
from audit.collect.session import Session
from audit.collect.tables import read_tables
from audit.demo.localpg import LocalPostgres, find_bin_dir
from audit.engine.profile import get_profile
from audit.estimate import estimate_all
from audit.facts import Facts, Sampling, Setting, Table, WalSample
from bench.accuracy import SETTINGS, _facts, _tables, log
from bench.accuracy import Sampler as LsnSampler
from bench.report import marked_sections

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "accuracy.md"
RESULTS = ROOT / "bench" / "no_lsn_results.json"
SECTION = "## WAL rate without WAL positions (issue 16)"
MB = 1e6
AUDITOR = "noauditlsn"
INTERVAL = 0.5


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    setup: list[str]
    script: str | None  # None: pgbench's built-in tpcb-like
    transactions: int
    clients: int = 1
    init_scale: int = 0
    # held out: not looked at while the model was built (VALIDATION below)
    validation: bool = False


WORKLOADS = [
    Workload(
        "hot_upd",
        "UPDATE of one int column, 4k rows of ~200 B, fillfactor 80 (HOT)",
        [
            "CREATE TABLE hot_t (id int PRIMARY KEY, counter int, payload text) "
            "WITH (fillfactor = 80)",
            "INSERT INTO hot_t SELECT g, 0, repeat(md5(g::text), 5) "
            "FROM generate_series(1, 4000) g",
        ],
        "\\set id random(1, 4000)\nUPDATE hot_t SET counter = counter + 1 WHERE id = :id;\n",
        20_000,
    ),
    Workload(
        "full_churn",
        "REPLICA IDENTITY FULL: DELETE one random row and INSERT one, 20k rows of ~300 B",
        [
            "CREATE TABLE churn_t (id bigserial PRIMARY KEY, k int, payload text)",
            "INSERT INTO churn_t (k, payload) SELECT g, repeat(md5(g::text), 9) "
            "FROM generate_series(1, 20000) g",
            "ALTER TABLE churn_t REPLICA IDENTITY FULL",
        ],
        "\\set id random(1, 20000)\nBEGIN;\nDELETE FROM churn_t WHERE id = :id;\n"
        "INSERT INTO churn_t (k, payload) VALUES (:id, repeat(md5(:id::text), 9));\nCOMMIT;\n",
        10_000,
    ),
    Workload(
        "tpcb_c8",
        "pgbench TPC-B-like, 8 clients, scale 10 (1M accounts: random pages, full-page images)",
        [],
        None,
        20_000,
        clients=8,
        init_scale=10,
    ),
    Workload(
        "mixed_ff70",
        "UPDATE + DELETE + INSERT on 20k rows of ~150 B, fillfactor 70",
        [
            "CREATE TABLE mix_t (id bigserial PRIMARY KEY, v int, payload text) "
            "WITH (fillfactor = 70)",
            "INSERT INTO mix_t (v, payload) SELECT g, repeat(md5(g::text), 4) "
            "FROM generate_series(1, 20000) g",
            "CREATE INDEX mix_t_v ON mix_t (v)",
        ],
        "\\set id random(1, 20000)\n\\set op random(1, 3)\n"
        "UPDATE mix_t SET v = v + 1 WHERE id = :id AND :op = 1;\n"
        "DELETE FROM mix_t WHERE id = :id AND :op = 2;\n"
        "INSERT INTO mix_t (v, payload) SELECT :id, repeat(md5(:id::text), 4) WHERE :op = 3;\n",
        15_000,
    ),
]


# The validation set: shapes the model was not developed on (added once the model was fixed,
# run once; their errors are reported as they came out)
VALIDATION = [
    Workload(
        "ins_2idx",
        "INSERT only: bigserial key and an index on a random int, rows of ~130 B, 20k rows "
        "before (random B-tree inserts and splits)",
        [
            "CREATE TABLE ins_t (id bigserial PRIMARY KEY, k int, payload text)",
            "INSERT INTO ins_t (k, payload) SELECT (random() * 1e9)::int, repeat(md5(g::text), 3) "
            "FROM generate_series(1, 20000) g",
            "CREATE INDEX ins_t_k ON ins_t (k)",
        ],
        "\\set k random(1, 1000000000)\n"
        "INSERT INTO ins_t (k, payload) VALUES (:k, repeat(md5(:k::text), 3));\n",
        20_000,
        validation=True,
    ),
    Workload(
        "nonhot_200k",
        "UPDATE of an indexed column, 200k rows of ~100 B, fillfactor 100 (new versions on "
        "other pages)",
        [
            "CREATE TABLE nh_t (id int PRIMARY KEY, k int, payload text)",
            "INSERT INTO nh_t SELECT g, g, repeat(md5(g::text), 2) "
            "FROM generate_series(1, 200000) g",
            "CREATE INDEX nh_t_k ON nh_t (k)",
        ],
        "\\set id random(1, 200000)\nUPDATE nh_t SET k = k + 1 WHERE id = :id;\n",
        20_000,
        clients=4,
        validation=True,
    ),
    Workload(
        "hot_wide",
        "HOT UPDATE of a 32-character text column (new value each time), 50k rows of ~120 B, "
        "fillfactor 90",
        [
            "CREATE TABLE hw_t (id int PRIMARY KEY, note text, payload text) "
            "WITH (fillfactor = 90)",
            "INSERT INTO hw_t SELECT g, md5(g::text), repeat(md5(g::text), 2) "
            "FROM generate_series(1, 50000) g",
        ],
        "\\set id random(1, 50000)\nUPDATE hw_t SET note = md5(random()::text) WHERE id = :id;\n",
        20_000,
        clients=2,
        validation=True,
    ),
    Workload(
        "purge_range",
        "DELETE of 50 consecutive ids per transaction (clustered), 1M rows of ~100 B",
        [
            "CREATE TABLE pr_t (id int PRIMARY KEY, payload text)",
            "INSERT INTO pr_t SELECT g, repeat(md5(g::text), 2) FROM generate_series(1, 1000000) g",
        ],
        "\\set s random(1, 1000000)\nDELETE FROM pr_t WHERE id BETWEEN :s AND :s + 49;\n",
        8_000,
        validation=True,
    ),
    # held out from the clustered-runs fix (added after it, run once): a run of updates in key
    # order on a table whose other index follows the key, and multi-row updates through an
    # index on a column in random order (many rows a statement, scattered pages)
    Workload(
        "batch_status",
        "UPDATE of 20 consecutive orders per statement (an unindexed status column), 400k rows "
        "of ~110 B, fillfactor 90, a second index on the time-ordered created_at",
        [
            "CREATE TABLE bs_t (id int PRIMARY KEY, created_at timestamptz, status int, "
            "payload text) WITH (fillfactor = 90)",
            "INSERT INTO bs_t SELECT g, timestamptz '2026-01-01' + g * interval '1 s', 0, "
            "repeat(md5(g::text), 2) FROM generate_series(1, 400000) g",
            "CREATE INDEX bs_t_created ON bs_t (created_at)",
        ],
        "\\set s random(1, 400000)\n"
        "UPDATE bs_t SET status = status + 1 WHERE id BETWEEN :s AND :s + 19;\n",
        6_000,
        validation=True,
    ),
    Workload(
        "by_customer",
        "UPDATE of one customer's ~20 orders per statement through an index on customer_id "
        "(random order: scattered pages), 200k rows of ~110 B",
        [
            "CREATE TABLE bc_t (id int PRIMARY KEY, customer_id int, status int, payload text)",
            "INSERT INTO bc_t SELECT g, (hashint4(g) & 2147483647) % 10000, 0, "
            "repeat(md5(g::text), 2) FROM generate_series(1, 200000) g",
            "CREATE INDEX bc_t_customer ON bc_t (customer_id)",
        ],
        "\\set c random(0, 9999)\nUPDATE bc_t SET status = status + 1 WHERE customer_id = :c;\n",
        4_000,
        validation=True,
    ),
]
WORKLOADS += VALIDATION


class NoLsnSampler(threading.Thread):
    """The collector's sampler, as a role refused the WAL functions, every INTERVAL seconds."""

    def __init__(self, conninfo: str, version_num: int) -> None:
        super().__init__(daemon=True)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.sampler = Sampler(Session(self.conn), version_num)
        self.samples: list[WalSample] = [self.sampler.take()]
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(INTERVAL):
            self.samples.append(self.sampler.take())

    def finish(self) -> Sampling:
        self.stop_event.set()
        self.join()
        self.samples.append(self.sampler.take(final=True))
        self.conn.close()
        return Sampling(
            started_at=self.samples[0].at,
            ended_at=self.samples[-1].at,
            interval_seconds=INTERVAL,
            requested_seconds=(self.samples[-1].at - self.samples[0].at).total_seconds(),
            methods=[m for m in METHODS if m in self.sampler.worked],
            samples=self.samples,
            table_deltas=self.sampler.table_deltas(),
            table_scans=self.sampler.table_scans(),
        )


def _setup(server: LocalPostgres, dbname: str, workload: Workload) -> None:
    with server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [AUDITOR]).fetchone():
            conn.execute(f"CREATE ROLE {AUDITOR} LOGIN PASSWORD 'x' IN ROLE pg_monitor")
    if workload.init_scale:
        server.run_as_server_user(["pgbench", "-i", "-q", "-s", str(workload.init_scale), dbname])
    with server.connect(dbname) as conn:
        conn.execute("REVOKE EXECUTE ON FUNCTION pg_current_wal_lsn() FROM PUBLIC")
        conn.execute("REVOKE EXECUTE ON FUNCTION pg_stat_get_wal FROM PUBLIC")
        for statement in workload.setup:
            conn.execute(statement)
        conn.execute("VACUUM ANALYZE")


def _with_storage(conn: psycopg.Connection[Any], version: int, tables: list[Table]) -> list[Table]:
    """The tables with their fillfactor and index correlation, read by the collector's own
    tables query (audit/collect/sql/tables.sql)."""
    collected = {t.qualified_name: t for t in read_tables(Session(conn), version)}
    return [
        t.model_copy(
            update={
                "fillfactor": collected[t.qualified_name].fillfactor,
                "index_correlation": collected[t.qualified_name].index_correlation,
            }
        )
        if t.qualified_name in collected
        else t
        for t in tables
    ]


def _settings() -> dict[str, Setting]:
    return {
        "checkpoint_timeout": Setting(name="checkpoint_timeout", value="86400", unit="s"),
        "max_wal_size": Setting(name="max_wal_size", value="65536", unit="MB"),
        "max_slot_wal_keep_size": Setting(name="max_slot_wal_keep_size", value="-1", unit="MB"),
    }


def _predicted_bytes(facts: Facts) -> dict[str, Any]:
    est = estimate_all(facts, get_profile("generic"))
    wal = est.wal
    rate, seconds = wal.logical_bytes_per_s, facts.sampling
    assert seconds is not None and rate.expected is not None
    window = (seconds.ended_at - seconds.started_at).total_seconds()
    assert rate.low is not None and rate.high is not None
    current = wal.current_bytes_per_s
    return {
        "method": current.method,
        "expected": rate.expected * window,
        "low": rate.low * window,
        "high": rate.high * window,
        "current_expected": (current.window_mean or 0.0) * window,
        "current_range": current.range.as_dict() if current.range else None,
        "inputs": {
            k: v
            for k, v in current.inputs.items()
            if k
            in (
                "checkpoint_signal",
                "pages_first_touched",
                "components_bytes",
                "checkpoints_in_window",
                "cycle_age_seconds",
                "segment_change_shares",
                "runs_on_consecutive_pages",
            )
        },
        "assumptions": current.assumptions,
        "extra_expected": (rate.expected - (current.window_mean or 0.0)) * window,
    }


# pg_walinspect's view of the window: per record type, and per relation the block references,
# full-page images and distinct blocks (the truth for the model's components)
_RECORDS_SQL = """
SELECT resource_manager || '/' || record_type, count(*), sum(record_length - fpi_length)::bigint,
    sum(fpi_length)::bigint
FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn) GROUP BY 1 ORDER BY 1
"""
_BLOCKS_SQL = """
WITH refs AS (
    SELECT m[1]::oid AS filenode, m[2] AS fork, m[3]::bigint AS blk, m[4] IS NOT NULL AS fpw
    FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn) AS r,
        regexp_matches(
            r.block_ref,
            'rel \\d+/\\d+/(\\d+)(?: fork (\\w+))? blk (\\d+)( FPW| \\(FPW\\))?',
            'g'
        ) AS m
)
SELECT coalesce(c.relname, refs.filenode::text) || coalesce('/' || refs.fork, ''), count(*),
    count(*) FILTER (WHERE fpw), count(DISTINCT blk)
FROM refs LEFT JOIN pg_class AS c ON c.relfilenode = refs.filenode
GROUP BY 1 ORDER BY 1
"""


def _breakdown(conn: psycopg.Connection[Any], start: str) -> dict[str, Any]:
    """What the window really wrote, from pg_walinspect (superuser, throw-away server)."""
    row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
    assert row is not None
    end = row[0]  # before CREATE EXTENSION's own records
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
    records = {
        name: {"count": n, "record_bytes": rec, "fpi_bytes": fpi}
        for name, n, rec, fpi in conn.execute(_RECORDS_SQL, [start, end]).fetchall()
    }
    blocks = {
        name: {"refs": n, "images": fpw, "distinct_blocks": distinct}
        for name, n, fpw, distinct in conn.execute(_BLOCKS_SQL, [start, end]).fetchall()
    }
    return {"records": records, "blocks": blocks}


def run_server(
    mode: str,
    version: int,
    workloads: list[Workload],
    scale: float,
    scripts: Path,
    base: Path,
    breakdown: bool = False,
) -> dict[str, dict[str, Any]]:
    settings = {**SETTINGS, "wal_level": mode}
    out: dict[str, dict[str, Any]] = {}
    with LocalPostgres(find_bin_dir(version), settings=settings, base_dir=base) as server:
        for workload in workloads:
            n = max(1, int(workload.transactions * scale))
            dbname = f"w_{workload.name}"
            _setup(server, dbname, workload)
            with server.connect(dbname) as conn:
                tables = _with_storage(conn, server.version_num, _tables(conn))
            time.sleep(1.1)  # pg_control_checkpoint() has whole seconds: setup's apart
            audits = mode == "replica"
            no_lsn = (
                NoLsnSampler(server.conninfo(dbname, AUDITOR, "x"), server.version_num)
                if audits
                else None
            )
            with_lsn = LsnSampler(server.conninfo(dbname), INTERVAL) if audits else None
            with server.connect(dbname) as conn:
                row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
                assert row is not None
                start = row[0]
            for sampler in (no_lsn, with_lsn):
                if sampler is not None:
                    sampler.start()
            # the checkpoint falls inside the window, as in a steady workload
            with server.connect(dbname) as conn:
                conn.execute("CHECKPOINT")
            args = ["pgbench", "-n", "-c", str(workload.clients), "-j", str(workload.clients)]
            args += ["-t", str(max(1, n // workload.clients)), "--random-seed=42"]
            args += (
                ["-b", "tpcb-like"]
                if workload.script is None
                else ["-f", str(scripts / f"{workload.name}.sql")]
            )
            began = time.monotonic()
            server.run_as_server_user([*args, dbname])
            seconds = time.monotonic() - began
            time.sleep(1.2)
            result: dict[str, Any] = {"seconds": seconds, "transactions": n}
            if no_lsn is not None and with_lsn is not None:
                refused = no_lsn.finish()
                readable = with_lsn.finish()
                assert "lsn" not in refused.methods, refused.methods
                facts = _facts(server, dbname, tables).model_copy(update={"settings": _settings()})
                with server.connect(dbname) as conn:
                    row = conn.execute("SELECT current_setting('data_checksums')::bool").fetchone()
                assert facts.server is not None and row is not None
                facts = facts.model_copy(
                    update={"server": facts.server.model_copy(update={"data_checksums": row[0]})}
                )
                result["no_lsn"] = _predicted_bytes(facts.model_copy(update={"sampling": refused}))
                result["lsn"] = _predicted_bytes(facts.model_copy(update={"sampling": readable}))
                result["previous"] = _previous(result["no_lsn"])
            with server.connect(dbname) as conn:
                row = conn.execute(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s::pg_lsn)::bigint",
                    [start],
                ).fetchone()
                assert row is not None
                result["lsn_bytes"] = int(row[0])
                if breakdown:
                    result["walinspect"] = _breakdown(conn, start)
            log(
                f"PG{version} {mode:8s} {workload.name:11s} {n:6d} txns "
                f"{result['lsn_bytes'] / MB:8.2f} MB {seconds:5.1f} s"
            )
            out[workload.name] = result
    return out


def _previous(no_lsn: dict[str, Any]) -> float:
    """The row-change method before issue 16: record bytes / (1 - 0.5) plus the same extra."""
    parts = no_lsn["inputs"]["components_bytes"]
    records = parts["records"]["expected"] + parts["commits"]["expected"]
    return 2 * records + float(no_lsn["extra_expected"])


def _err(predicted: float, truth: float) -> float:
    return predicted / truth - 1


def summarize(
    results: dict[int, dict[str, dict[str, dict[str, Any]]]],
) -> tuple[str, list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    lines = [
        "| PG | workload | set | replica MB | logical MB (truth) | previous | err | no-LSN model "
        "| err | no-LSN range | covers | FPI share (model) | LSN method err |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for version, modes in sorted(results.items()):
        for workload in WORKLOADS:
            rep, lg = modes["replica"].get(workload.name), modes["logical"].get(workload.name)
            if rep is None or lg is None:
                continue
            truth = lg["lsn_bytes"]
            model, lsn = rep["no_lsn"], rep["lsn"]
            covers = model["low"] <= truth <= model["high"]
            parts = model["inputs"]["components_bytes"]
            total = sum(p["expected"] for p in parts.values())
            fpi = parts["full_page_images"]["expected"] / total if total else 0.0
            row = {
                "version": version,
                "workload": workload.name,
                "set": "validation" if workload.validation else "development",
                "replica_bytes": rep["lsn_bytes"],
                "truth_bytes": truth,
                "previous_err": _err(rep["previous"], truth),
                "model_err": _err(model["expected"], truth),
                "model_range": [model["low"], model["high"]],
                "covers": covers,
                "lsn_err": _err(lsn["expected"], truth),
                "checkpoint_signal": model["inputs"].get("checkpoint_signal"),
                "pages_first_touched": model["inputs"].get("pages_first_touched"),
            }
            rows.append(row)
            lines.append(
                f"| {version} | {workload.name} | {row['set']} | {rep['lsn_bytes'] / MB:.2f} | "
                f"{truth / MB:.2f} | "
                f"{rep['previous'] / MB:.2f} | {row['previous_err'] * 100:+.1f}% | "
                f"{model['expected'] / MB:.2f} | {row['model_err'] * 100:+.1f}% | "
                f"{model['low'] / MB:.2f}-{model['high'] / MB:.2f} | {'yes' if covers else 'NO'} | "
                f"{fpi * 100:.0f}% | {row['lsn_err'] * 100:+.1f}% |"
            )
    if rows:
        lines.append("")
        lines.append("| method | median abs error | worst error | ranges covering the truth |")
        lines.append("|---|---:|---:|---:|")
        groups = [
            ("development set", "development"),
            ("validation set", "validation"),
            ("all", None),
        ]
        for label, key, group in (
            ("previous row-change method", "previous_err", None),
            *(
                (f"row changes + checkpoints (this model), {name}", "model_err", g)
                for name, g in groups
            ),
            ("LSN method (WAL positions readable)", "lsn_err", None),
        ):
            chosen = [r for r in rows if group is None or r["set"] == group]
            if not chosen:
                continue
            values = [r[key] for r in chosen]
            worst = max(values, key=abs)
            covered = (
                f"{sum(r['covers'] for r in chosen)}/{len(chosen)}" if key == "model_err" else ""
            )
            lines.append(
                f"| {label} | {statistics.median(abs(v) for v in values) * 100:.1f}% | "
                f"{worst * 100:+.1f}% | {covered} |"
            )
    return "\n".join(lines), rows


def print_breakdown(results: dict[int, dict[str, dict[str, dict[str, Any]]]]) -> None:
    """The model's components beside pg_walinspect's truth, per workload (``--breakdown``)."""
    for version, modes in sorted(results.items()):
        for name, rep in modes["replica"].items():
            if "walinspect" not in rep:
                continue
            model = rep["no_lsn"]
            print(f"\nPG{version} {name}: replica {rep['lsn_bytes']:,} B")
            for part, value in model["inputs"]["components_bytes"].items():
                print(
                    f"  model {part:18s} {value['expected']:12,.0f}  ({value['low']:,.0f}-"
                    f"{value['high']:,.0f})"
                )
            print(f"  model pages first touched {model['inputs'].get('pages_first_touched')}")
            print(
                "  model cycle "
                + str(
                    {
                        k: v
                        for k, v in model["inputs"].items()
                        if k.startswith(("check", "cycle", "seg", "runs"))
                    }
                )
            )
            truth = rep["walinspect"]
            for record, v in truth["records"].items():
                print(
                    f"  wal {record:32s} n={v['count']:7d} rec={v['record_bytes']:11,d} "
                    f"fpi={v['fpi_bytes']:11,d}"
                )
            for rel, v in truth["blocks"].items():
                print(
                    f"  blk {rel:32s} refs={v['refs']:7d} images={v['images']:6d} "
                    f"distinct={v['distinct_blocks']:6d}"
                )
            lg = modes["logical"].get(name, {}).get("walinspect")
            if lg:
                for record, v in lg["records"].items():
                    print(
                        f"  logical {record:28s} n={v['count']:7d} rec={v['record_bytes']:11,d} "
                        f"fpi={v['fpi_bytes']:11,d}"
                    )


def write_section(table: str, rows: list[dict[str, Any]], elapsed: float, notes: str) -> None:
    text = REPORT.read_text()
    head = text.split(SECTION)[0].rstrip() + "\n\n"
    kept = _following(text.split(SECTION, 1)[1]) if SECTION in text else ""
    lines = [
        SECTION,
        "",
        f"Generated by `python -m bench.no_lsn_accuracy` on {datetime.now(UTC):%Y-%m-%d} "
        f"({elapsed:.0f} s). Method: see the module docstring of `bench/no_lsn_accuracy.py`.",
        "",
        "| workload | set | what one transaction does |",
        "|---|---|---|",
        *(
            f"| {w.name} | {'validation' if w.validation else 'development'} | {w.description}; "
            f"{w.transactions:,} transactions, {w.clients} client(s) |"
            for w in WORKLOADS
        ),
        "",
        table,
        "",
        notes.strip(),
        "",
    ]
    REPORT.write_text(head + "\n".join(lines) + ("\n" + kept if kept else ""))


def _following(after: str) -> str:
    """What follows this section in the report: from the next heading or benchmark marker on
    (the other benchmarks' sections, kept as they are)."""
    ends = [i for i in (after.find("\n## "), after.find("\n<!-- bench:")) if i >= 0]
    return after[min(ends) + 1 :] if ends else marked_sections(after)


NOTES_FILE = ROOT / "bench" / "no_lsn_notes.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the transactions")
    parser.add_argument("--only", help="comma-separated workload names")
    parser.add_argument("--versions", default="15,18", help="PostgreSQL majors (default 15,18)")
    parser.add_argument("--no-report", action="store_true", help="print only")
    parser.add_argument(
        "--render",
        action="store_true",
        help="rewrite the docs section from bench/no_lsn_results.json (after editing the notes)",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="print the model's components beside pg_walinspect's record types and blocks",
    )
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(RESULTS.read_text())
        raw = {int(v): modes for v, modes in saved["raw"].items()}
        table, rows = summarize(raw)
        write_section(table, rows, float(saved.get("elapsed", 0.0)), NOTES_FILE.read_text())
        return 0
    scale = 0.2 if args.quick else 1.0
    workloads = [w for w in WORKLOADS if not args.only or w.name in args.only.split(",")]
    began = time.monotonic()
    results: dict[int, dict[str, dict[str, dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory(prefix="cdcnolsn-") as tmp:
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
        for version in (int(v) for v in args.versions.split(",")):
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = {
                    mode: pool.submit(
                        run_server, mode, version, workloads, scale, scripts, base, args.breakdown
                    )
                    for mode in ("replica", "logical")
                }
                results[version] = {mode: f.result() for mode, f in futures.items()}
    elapsed = time.monotonic() - began
    table, rows = summarize(results)
    if args.breakdown:
        print_breakdown(results)
    print(table)
    if not args.no_report:
        saved = {"rows": rows, "raw": results, "elapsed": elapsed}
        RESULTS.write_text(json.dumps(saved, indent=1, default=str) + "\n")
        write_section(table, rows, elapsed, NOTES_FILE.read_text() if NOTES_FILE.exists() else "")
    log(f"done in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
