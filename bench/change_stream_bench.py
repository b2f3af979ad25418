"""The change stream and decoding rate, measured: ``python -m bench.change_stream_bench``.

Change stream. For each workload and PostgreSQL major, one throw-away server at
``wal_level=logical`` with a publication ``FOR ALL TABLES`` runs a steady, rate-limited pgbench
workload while:

- the tool's own collector audits the database (``collect_facts`` with a sampling window,
  the read probe on), and ``estimate_all`` predicts the change events and pgoutput bytes per
  second (``estimates.change_stream``); the estimate uses row counters and widths only, which
  do not depend on ``wal_level``, so it is what a replica-mode audit of the same workload says;
- ``pg_recvlogical --start -P pgoutput -o proto_version=1 -o publication_names=bench_pub``
  streams the workload to a file, as a real consumer does (its file holds every message plus
  one newline per message);
- a second pgoutput slot, created before the workload, is read afterwards with
  ``pg_logical_slot_peek_binary_changes`` over the sampling window's WAL positions: the
  messages per type (B, C, I, U, D, R...) and their bytes, exactly the payloads a walsender
  sends.

The error is estimate / measured - 1 over the same window (events: I, U and D messages;
bytes: every message's payload).

Decoding rate. A pgoutput slot is created and left inactive while an unthrottled workload
writes a backlog of N MB of WAL; then ``pg_recvlogical --start -E <end>`` catches up and is
timed (walsender path, protocol and client included), and a second slot does the same with
``pg_logical_slot_get_binary_changes`` (no network). Rate = WAL bytes / seconds, compared with
``WALSENDER_DECODE_BYTES_PER_S`` (audit/estimate/defaults.py), which CDC504 uses.

Writes the "Change stream and decoding rate" section of docs/accuracy.md and
bench/change_stream_results.json; ``--quick`` shortens the windows and backlogs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

if __package__ in (None, ""):  # run as `python bench/change_stream_bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.collect import collect_facts
from audit.demo.localpg import LocalPostgres, find_bin_dir
from audit.engine.profile import get_profile
from audit.estimate import estimate_all
from audit.estimate.defaults import WALSENDER_DECODE_BYTES_PER_S
from bench.accuracy import SETTINGS, log
from bench.report import write_section

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "accuracy.md"
RESULTS = ROOT / "bench" / "change_stream_results.json"
NOTES = ROOT / "bench" / "change_stream_notes.md"
SECTION = "change-stream"
MB = 1e6
PUB = "bench_pub"
PLUGIN_OPTIONS = ("proto_version", "1", "publication_names", PUB)
# synchronous_commit=off: one pgbench client writes the backlogs faster (no flush per commit);
# it changes neither the messages nor the WAL records decoded
LOGICAL = {
    **SETTINGS,
    "wal_level": "logical",
    "logical_decoding_work_mem": "64MB",
    "synchronous_commit": "off",
}
CHANGES_SQL = "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del)::bigint FROM pg_stat_user_tables"


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    setup: list[str]
    script: str | None  # None: pgbench's built-in tpcb-like
    rate: int  # transactions per second (pgbench -R)
    init_scale: int = 0


_ROWS = "INSERT INTO {t} SELECT g, 0, {payload} FROM generate_series(1, 20000) g"
_MD5_200 = "repeat(md5(g::text), 6)"

WORKLOADS = [
    Workload(
        "ins_narrow",
        "1-row INSERT, 4 columns (bigserial, 2 int, timestamptz)",
        ["CREATE TABLE ins_narrow (id bigserial PRIMARY KEY, a int, b int, ts timestamptz)"],
        "\\set r random(1, 1000000)\nINSERT INTO ins_narrow (a, b, ts) VALUES (:r, :r, now());\n",
        300,
    ),
    Workload(
        "ins_wide",
        "1-row INSERT of a ~1 KB text row",
        ["CREATE TABLE ins_wide (id bigserial PRIMARY KEY, a int, payload text)"],
        "\\set r random(1, 1000000)\n"
        "INSERT INTO ins_wide (a, payload) VALUES (:r, repeat(md5(:r::text), 31));\n",
        200,
    ),
    Workload(
        "upd_default",
        "UPDATE of one int column, ~200 B rows, default identity (primary key)",
        [
            "CREATE TABLE upd_t (id int PRIMARY KEY, n int, payload text)",
            _ROWS.format(t="upd_t", payload=_MD5_200),
        ],
        "\\set id random(1, 20000)\nUPDATE upd_t SET n = n + 1 WHERE id = :id;\n",
        300,
    ),
    Workload(
        "upd_full",
        "the same UPDATE under REPLICA IDENTITY FULL",
        [
            "CREATE TABLE upd_t (id int PRIMARY KEY, n int, payload text)",
            _ROWS.format(t="upd_t", payload=_MD5_200),
            "ALTER TABLE upd_t REPLICA IDENTITY FULL",
        ],
        "\\set id random(1, 20000)\nUPDATE upd_t SET n = n + 1 WHERE id = :id;\n",
        300,
    ),
    Workload(
        "del_default",
        "DELETE of one ~200 B row, default identity",
        [
            "CREATE TABLE del_t (id int PRIMARY KEY, n int, payload text)",
            _ROWS.format(t="del_t", payload=_MD5_200).replace("20000", "200000"),
            "CREATE SEQUENCE del_seq",
        ],
        "SELECT nextval('del_seq') AS id \\gset\nDELETE FROM del_t WHERE id = :id;\n",
        300,
    ),
    Workload(
        "del_full",
        "the same DELETE under REPLICA IDENTITY FULL",
        [
            "CREATE TABLE del_t (id int PRIMARY KEY, n int, payload text)",
            _ROWS.format(t="del_t", payload=_MD5_200).replace("20000", "200000"),
            "CREATE SEQUENCE del_seq",
            "ALTER TABLE del_t REPLICA IDENTITY FULL",
        ],
        "SELECT nextval('del_seq') AS id \\gset\nDELETE FROM del_t WHERE id = :id;\n",
        300,
    ),
    Workload(
        "toast_upd",
        "UPDATE of one int column on rows with a 6.4 KB TOASTed text (sent as 'u')",
        [
            "SELECT setseed(0.42)",
            "CREATE TABLE toast_t (id int PRIMARY KEY, n int, doc text)",
            "INSERT INTO toast_t SELECT g, 0, (SELECT string_agg(md5(random()::text || i), '') "
            "FROM generate_series(1, 200) i WHERE g > 0) FROM generate_series(1, 5000) g",
        ],
        "\\set id random(1, 5000)\nUPDATE toast_t SET n = n + 1 WHERE id = :id;\n",
        200,
    ),
    Workload(
        "toast_upd_full",
        "the same TOAST UPDATE under REPLICA IDENTITY FULL (old row sent whole)",
        [
            "SELECT setseed(0.42)",
            "CREATE TABLE toast_t (id int PRIMARY KEY, n int, doc text)",
            "INSERT INTO toast_t SELECT g, 0, (SELECT string_agg(md5(random()::text || i), '') "
            "FROM generate_series(1, 200) i WHERE g > 0) FROM generate_series(1, 5000) g",
            "ALTER TABLE toast_t REPLICA IDENTITY FULL",
        ],
        "\\set id random(1, 5000)\nUPDATE toast_t SET n = n + 1 WHERE id = :id;\n",
        100,
    ),
    Workload(
        "tpcb",
        "pgbench TPC-B-like (3 UPDATE, 1 SELECT, 1 INSERT per transaction), scale 2",
        [],
        None,
        150,
        init_scale=2,
    ),
]

# Backlogs for the decoding rate: unthrottled, until the slot holds N MB of WAL.
BACKLOGS = [
    Workload(
        "dec_ins_narrow",
        "1-row INSERTs of 4 narrow columns (many small records)",
        WORKLOADS[0].setup,
        WORKLOADS[0].script,
        0,
    ),
    Workload(
        "dec_ins_batch",
        "INSERT ... SELECT of 1,000 ~200 B rows per transaction",
        ["CREATE TABLE ins_batch (id bigserial PRIMARY KEY, n int, payload text)"],
        "INSERT INTO ins_batch (n, payload) SELECT g, repeat(md5(g::text), 6) "
        "FROM generate_series(1, 1000) g;\n",
        0,
    ),
    Workload(
        "dec_tpcb",
        "pgbench TPC-B-like (3 UPDATE, 1 SELECT, 1 INSERT per transaction), scale 10",
        [],
        None,
        0,
        init_scale=10,
    ),
]


# --------------------------------------------------------------------------- helpers


def _env(server: LocalPostgres) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGPASSWORD=server.superuser_password, LC_ALL="C")
    return env


def _recvlogical(
    server: LocalPostgres, dbname: str, slot: str, out: Path, *extra: str
) -> subprocess.Popen[bytes]:
    argv = [
        str(server.bin("pg_recvlogical")),
        "-d",
        server.conninfo(dbname),
        "-S",
        slot,
        "--start",
        "-o",
        "proto_version=1",
        "-o",
        f"publication_names={PUB}",
        "-f",
        str(out),
        "-s",
        "1",
        "-F",
        "1",
        "--no-loop",
        *extra,
    ]
    return subprocess.Popen(argv, env=_env(server), stderr=subprocess.PIPE)


def _pgbench_args(workload: Workload, scripts: Path, dbname: str) -> list[str]:
    args = ["pgbench", "-n", "-c", "1", "-j", "1", "--random-seed=42"]
    args += ["-b", "tpcb-like"] if workload.script is None else ["-f", str(scripts / workload.name)]
    return [*args, dbname]


def _prepare(server: LocalPostgres, dbname: str, workload: Workload, scripts: Path) -> None:
    with server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    if workload.init_scale:
        server.run_as_server_user(["pgbench", "-i", "-q", "-s", str(workload.init_scale), dbname])
    with server.connect(dbname) as conn:
        for statement in workload.setup:
            conn.execute(statement)
        conn.execute("VACUUM ANALYZE")
        conn.execute(f"CREATE PUBLICATION {PUB} FOR ALL TABLES")
    if workload.script is not None:
        path = scripts / workload.name
        path.write_text(workload.script)
        path.chmod(0o644)


def _lsn(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    return str(row[0])


def _wait_confirmed(conn: psycopg.Connection[Any], slot: str, lsn: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT confirmed_flush_lsn >= %s::pg_lsn FROM pg_replication_slots "
            "WHERE slot_name = %s",
            (lsn, slot),
        ).fetchone()
        if row and row[0]:
            return True
        time.sleep(0.2)
    return False


def _messages(conn: psycopg.Connection[Any], slot: str, start: str, end: str) -> dict[str, Any]:
    """pgoutput messages per type between two WAL positions, peeked from ``slot``."""
    rows = conn.execute(
        "SELECT chr(get_byte(data, 0)), count(*), sum(octet_length(data))::bigint "
        "FROM pg_logical_slot_peek_binary_changes(%s, %s::pg_lsn, NULL, "
        "'proto_version', '1', 'publication_names', %s) "
        "WHERE lsn > %s::pg_lsn AND lsn <= %s::pg_lsn GROUP BY 1 ORDER BY 1",
        (slot, end, PUB, start, end),
    ).fetchall()
    by_type = {kind: {"messages": int(n), "bytes": int(b)} for kind, n, b in rows}
    return {
        "by_type": by_type,
        "events": sum(by_type.get(k, {}).get("messages", 0) for k in "IUD"),
        "messages": sum(v["messages"] for v in by_type.values()),
        "bytes": sum(v["bytes"] for v in by_type.values()),
    }


# --------------------------------------------------------------------------- change stream


def _warm_up(server: LocalPostgres, dbname: str, workload: Workload, scripts: Path) -> str:
    """Two seconds of the workload, then ANALYZE (the tables have statistics, as autovacuum
    gives them in production), then the two slots; returns where the stream starts."""
    warm = _pgbench_args(workload, scripts, dbname)
    warm[1:1] = ["-T", "2", "-R", str(workload.rate)]
    server.run_as_server_user(warm)
    with server.connect(dbname) as conn:
        conn.execute("ANALYZE")
        conn.execute("SELECT pg_create_logical_replication_slot('count_slot', 'pgoutput')")
        conn.execute("SELECT pg_create_logical_replication_slot('recv_slot', 'pgoutput')")
        return _lsn(conn)


def stream_run(
    server: LocalPostgres, workload: Workload, scripts: Path, window: float, interval: float
) -> dict[str, Any]:
    dbname = f"cs_{workload.name}"
    _prepare(server, dbname, workload, scripts)
    out = server.base_dir / f"{dbname}.pgoutput"
    stream_start = _warm_up(server, dbname, workload, scripts)
    recv = _recvlogical(server, dbname, "recv_slot", out)
    duration = int(window + 25)
    bench_args = _pgbench_args(workload, scripts, dbname)
    bench_args[1:1] = ["-T", str(duration), "-R", str(workload.rate)]
    failures: list[BaseException] = []

    def load() -> None:
        try:
            server.run_as_server_user(bench_args)
        except BaseException as exc:  # reported after the run
            failures.append(exc)

    loader = threading.Thread(target=load, daemon=True)
    began = time.monotonic()
    loader.start()
    time.sleep(2.0)  # past pgbench's connection and first statistics flush
    facts = collect_facts(server.conninfo(dbname), sample_seconds=window, interval=interval)
    loader.join()
    seconds = time.monotonic() - began
    if failures:
        raise RuntimeError(f"{workload.name}: pgbench failed: {failures[0]}")
    with server.connect(dbname) as conn:
        end = _lsn(conn)
        confirmed = _wait_confirmed(conn, "recv_slot", end, 60)
        recv.send_signal(signal.SIGINT)
        recv.wait(30)
        assert facts.sampling is not None
        lsns = [s.lsn for s in facts.sampling.samples if s.lsn is not None]
        first, last = str(lsns[0]), str(lsns[-1])
        measured = _messages(conn, "count_slot", first, last)
        whole = _messages(conn, "count_slot", stream_start, end)
        conn.execute("SELECT pg_drop_replication_slot('count_slot')")
        conn.execute("SELECT pg_drop_replication_slot('recv_slot')")
    estimates = estimate_all(facts, get_profile("generic"))
    stream = estimates.change_stream
    window_s = float(stream.inputs["window_seconds"])
    assert stream.events_per_s is not None and stream.bytes_per_s is not None
    file_bytes = out.stat().st_size
    result = {
        "workload": workload.name,
        "rate_tps": workload.rate,
        "window_seconds": window_s,
        "window_lsn": [first, last],
        "measured": measured,
        "measured_events_per_s": measured["events"] / window_s,
        "measured_bytes_per_s": measured["bytes"] / window_s,
        "estimate_events_per_s": stream.events_per_s,
        "estimate_bytes_per_s": stream.bytes_per_s.as_dict(),
        "estimate_assumptions": stream.assumptions,
        "widths": {
            t.table: t.widths.model_dump(mode="json")
            for t in estimates.wal.per_table
            if t.widths is not None
        },
        "recvlogical": {
            "confirmed_end": confirmed,
            "file_bytes": file_bytes,
            "payload_bytes": file_bytes - whole["messages"],  # one newline per message
            "sql_payload_bytes": whole["bytes"],
            "sql_messages": whole["messages"],
            "seconds": seconds,
            "bytes_per_s": (file_bytes - whole["messages"]) / seconds,
        },
    }
    e_ev = stream.events_per_s / result["measured_events_per_s"] - 1
    e_b = stream.bytes_per_s.expected / result["measured_bytes_per_s"] - 1
    log(
        f"pg{server.version_num // 10000} {workload.name:14s} events {e_ev * 100:+6.1f}%  "
        f"bytes {e_b * 100:+6.1f}%  ({result['measured_bytes_per_s'] / 1e3:.1f} kB/s measured, "
        f"recvlogical {file_bytes - whole['messages']} B vs SQL {whole['bytes']} B)"
    )
    return result


# --------------------------------------------------------------------------- decoding rate


def decode_run(
    server: LocalPostgres, workload: Workload, scripts: Path, backlog_mb: float
) -> dict[str, Any]:
    dbname = workload.name
    _prepare(server, dbname, workload, scripts)
    with server.connect(dbname) as conn:
        conn.execute("CHECKPOINT")
        conn.execute("SELECT pg_create_logical_replication_slot('recv_slot', 'pgoutput')")
        conn.execute("SELECT pg_create_logical_replication_slot('sql_slot', 'pgoutput')")
        start = _lsn(conn)
        changes_before = conn.execute(CHANGES_SQL).fetchone()
        began = time.monotonic()
        while True:  # the backlog, in bursts of 5 s, with both slots inactive
            args = _pgbench_args(workload, scripts, dbname)
            args[1:1] = ["-T", "5"]
            server.run_as_server_user(args)
            end = _lsn(conn)
            row = conn.execute("SELECT pg_wal_lsn_diff(%s, %s)::bigint", (end, start)).fetchone()
            assert row is not None
            wal = int(row[0])
            if wal >= backlog_mb * MB:
                break
        write_s = time.monotonic() - began
        time.sleep(1.0)  # the statistics of the last transactions
        changes_after = conn.execute(CHANGES_SQL).fetchone()
    out = server.base_dir / f"{dbname}.pgoutput"
    t0 = time.monotonic()
    recv = _recvlogical(server, dbname, "recv_slot", out, "-E", end)
    _, err = recv.communicate(timeout=600)
    recv_s = time.monotonic() - t0
    if recv.returncode != 0:
        raise RuntimeError(f"pg_recvlogical failed: {err.decode(errors='replace')}")
    with server.connect(dbname) as conn:
        t0 = time.monotonic()
        row = conn.execute(
            "SELECT count(*), coalesce(sum(octet_length(data)), 0)::bigint "
            "FROM pg_logical_slot_get_binary_changes('sql_slot', %s::pg_lsn, NULL, "
            "'proto_version', '1', 'publication_names', %s)",
            (end, PUB),
        ).fetchone()
        sql_s = time.monotonic() - t0
        assert row is not None
        conn.execute("SELECT pg_drop_replication_slot('recv_slot')")
        conn.execute("SELECT pg_drop_replication_slot('sql_slot')")
    result = {
        "workload": workload.name,
        "wal_bytes": wal,
        "write_seconds": write_s,
        "row_changes": int((changes_after or [0])[0] or 0) - int((changes_before or [0])[0] or 0),
        "messages": int(row[0]),
        "pgoutput_bytes": int(row[1]),
        "recvlogical_seconds": recv_s,
        "recvlogical_bytes_per_s": wal / recv_s,
        "sql_seconds": sql_s,
        "sql_bytes_per_s": wal / sql_s,
        "write_bytes_per_s": wal / write_s,
    }
    log(
        f"pg{server.version_num // 10000} {workload.name:14s} {wal / MB:7.1f} MB WAL: "
        f"pg_recvlogical {recv_s:5.2f} s ({wal / recv_s / MB:6.1f} MB/s), SQL {sql_s:5.2f} s "
        f"({wal / sql_s / MB:6.1f} MB/s), written at {wal / write_s / MB:5.1f} MB/s"
    )
    return result


# --------------------------------------------------------------------------- report


def _err(estimate: float, measured: float) -> float:
    return estimate / measured - 1 if measured else float("nan")


def summarize(results: dict[str, Any]) -> str:
    lines = [
        "| PG | workload | measured events/s | estimate | err | measured pgoutput B/s | "
        "estimate B/s (low-high) | err | covers | messages per event | pg_recvlogical vs SQL |",
        "|---|---|---:|---:|---:|---:|---|---:|---|---:|---|",
    ]
    errors: dict[str, list[float]] = {"events": [], "bytes": []}
    covered = 0
    for major, runs in results["stream"].items():
        for r in runs:
            est_b = r["estimate_bytes_per_s"]
            ev_err = _err(r["estimate_events_per_s"], r["measured_events_per_s"])
            b_err = _err(est_b["expected"], r["measured_bytes_per_s"])
            errors["events"].append(ev_err)
            errors["bytes"].append(b_err)
            inside = est_b["low"] <= r["measured_bytes_per_s"] <= est_b["high"]
            covered += inside
            events = r["measured"]["events"]
            recv = r["recvlogical"]
            same = f"{_err(recv['payload_bytes'], recv['sql_payload_bytes']) * 100:+.2f}%"
            lines.append(
                f"| {major} | {r['workload']} | {r['measured_events_per_s']:.0f} | "
                f"{r['estimate_events_per_s']:.0f} | {ev_err * 100:+.1f}% | "
                f"{r['measured_bytes_per_s']:,.0f} | {est_b['expected']:,.0f} "
                f"({est_b['low']:,.0f}-{est_b['high']:,.0f}) | {b_err * 100:+.1f}% | "
                f"{'yes' if inside else 'no'} | "
                f"{r['measured']['messages'] / events if events else 0:.2f} | {same} |"
            )
    n = len(errors["bytes"])
    lines += [
        "",
        "| quantity | median abs error | worst error | ranges covering the measurement |",
        "|---|---:|---:|---:|",
    ]
    for key, label in (("events", "events/s"), ("bytes", "pgoutput bytes/s")):
        values = errors[key]
        if values:
            worst = max(values, key=abs)
            cover = f"{covered}/{n}" if key == "bytes" else ""
            lines.append(
                f"| {label} | {statistics.median(abs(v) for v in values) * 100:.1f}% | "
                f"{worst * 100:+.1f}% | {cover} |"
            )
    d = WALSENDER_DECODE_BYTES_PER_S
    lines += [
        "",
        f"Decoding rate of one walsender over a backlog (`WALSENDER_DECODE_BYTES_PER_S`: "
        f"{d.low / 2**20:.0f}-{d.high / 2**20:.0f} MiB/s, expected {d.expected / 2**20:.0f}):",
        "",
        "| PG | backlog | WAL MB | row changes | pg_recvlogical s | MB/s | SQL s | MB/s | "
        "written at MB/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for major, runs in results["decode"].items():
        for r in runs:
            lines.append(
                f"| {major} | {r['workload']} | {r['wal_bytes'] / MB:.1f} | "
                f"{r['row_changes'] or 0:,} | {r['recvlogical_seconds']:.2f} | "
                f"{r['recvlogical_bytes_per_s'] / MB:.1f} | {r['sql_seconds']:.2f} | "
                f"{r['sql_bytes_per_s'] / MB:.1f} | {r['write_bytes_per_s'] / MB:.1f} |"
            )
    shares = [
        r["recvlogical_bytes_per_s"] / r["sql_bytes_per_s"]
        for runs in results["decode"].values()
        for r in runs
    ]
    if shares:
        lines += [
            "",
            f"pg_recvlogical / SQL rate (the walsender path's share): "
            f"{min(shares):.2f}-{max(shares):.2f}, median {statistics.median(shares):.2f}.",
        ]
    return "\n".join(lines)


def run_major(
    major: int, window: float, backlog_mb: float, only: set[str] | None, base: Path
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    scripts = base / f"scripts{major}"
    scripts.mkdir()
    scripts.chmod(0o755)
    stream: list[dict[str, Any]] = []
    decode: list[dict[str, Any]] = []
    with LocalPostgres(find_bin_dir(major), settings=LOGICAL, base_dir=base) as server:
        for workload in WORKLOADS:
            if only is None or workload.name in only:
                stream.append(stream_run(server, workload, scripts, window, 1.0))
        for workload in BACKLOGS:
            if only is None or workload.name in only:
                decode.append(decode_run(server, workload, scripts, backlog_mb))
    return stream, decode


def write_report(results: dict[str, Any]) -> None:
    """The section of docs/accuracy.md from a results document (this run's, or a stored one)."""
    table = summarize(results)
    window, backlog = results["window_seconds"], results["backlog_mb"]
    intro = (
        f"Generated by `python -m bench.change_stream_bench` on {results['date']} "
        f"({results['elapsed_seconds']:.0f} s{', --quick' if results['quick'] else ''}; "
        f"{results['machine']}, shared with other jobs). Method: see the module docstring of "
        f"`bench/change_stream_bench.py`; sampling window {window:.0f} s, backlogs of "
        f"{backlog:.0f} MB."
    )
    workloads = (
        "\n".join(f"| {w.name} | {w.description}; {w.rate} transactions/s |" for w in WORKLOADS)
        + "\n"
        + "\n".join(f"| {w.name} | {w.description}; unthrottled |" for w in BACKLOGS)
    )
    body = (
        f"{intro}\n\n| workload | what one transaction does |\n|---|---|\n{workloads}\n\n"
        f"{table}\n\n{NOTES.read_text().strip() if NOTES.exists() else ''}\n"
    )
    write_section(REPORT, SECTION, "## Change stream and decoding rate (issue 15)", body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--majors", default="15,18", help="PostgreSQL majors (default 15,18)")
    parser.add_argument("--quick", action="store_true", help="8 s windows, 32 MB backlogs")
    parser.add_argument("--only", help="comma-separated workload names")
    parser.add_argument("--no-report", action="store_true", help="print only")
    parser.add_argument(
        "--report-only", action="store_true", help=f"rewrite the section from {RESULTS.name}"
    )
    args = parser.parse_args(argv)
    if args.report_only:
        write_report(json.loads(RESULTS.read_text()))
        return 0
    window = 8.0 if args.quick else 20.0
    backlog = 32.0 if args.quick else 128.0
    only = set(args.only.split(",")) if args.only else None
    began = time.monotonic()
    results: dict[str, Any] = {"stream": {}, "decode": {}}
    with tempfile.TemporaryDirectory(prefix="cdcstream-") as tmp:
        base = Path(tmp)
        base.chmod(0o777)
        for major in (int(v) for v in args.majors.split(",")):
            stream, decode = run_major(major, window, backlog, only, base)
            results["stream"][str(major)] = stream
            results["decode"][str(major)] = decode
    elapsed = time.monotonic() - began
    print(summarize(results))
    results.update(
        date=f"{datetime.now(UTC):%Y-%m-%d}",
        elapsed_seconds=elapsed,
        quick=args.quick,
        window_seconds=window,
        backlog_mb=backlog,
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
    )
    if not args.no_report:
        RESULTS.write_text(json.dumps(results, indent=1, default=str) + "\n")
        write_report(results)
    log(f"done in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
