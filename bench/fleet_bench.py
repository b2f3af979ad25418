"""Fleet benchmark: ``python -m bench.fleet_bench`` audits 50 databases at concurrency 10.

Three throw-away PostgreSQL servers (started here, the majors found locally) get 50 databases
between them, each with 20 tables (every fifth without a primary key, a few hundred rows in
each) and a light write load (one session per server updating rows in a loop), so every audit
samples real WAL. Then ``cdc-preflight fleet`` runs in a child process, as a user runs it:
``--concurrency 10``, ``sample_seconds = 2``, ``--history`` an SQLite file.

Reported (bench/fleet_results.json, and printed):

- wall time of the fleet against the sampling floor, ceil(targets / concurrency) x window: the
  time no scheduler could beat;
- the CPU time of the audits (from wait4 per child, in fleet.json) and the machine: what the
  wall time is made of when the floor is not reached;
- peak RSS of the fleet process itself (its VmHWM, read every 0.1 s), of the largest audit
  child, and of the fleet process plus all its children at once (their VmRSS summed every
  0.1 s: the machine's actual peak);
- history bytes per run: the SQLite file (after a WAL checkpoint) divided by the runs stored,
  and the gzip'd report + facts payload per run.

Not a test: it takes a few minutes on a shared 2-CPU machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/fleet_bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.demo.localpg import LocalPostgres, available_majors

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "fleet_results.json"
TABLES_PER_DB = 20
POLL_SECONDS = 0.1

MAKE_TABLES = """
DO $$
BEGIN
  FOR i IN 1..{tables} LOOP
    IF i % 5 = 0 THEN
      EXECUTE format('CREATE TABLE t%s (id bigint, v text)', i);
    ELSE
      EXECUTE format('CREATE TABLE t%s (id bigint PRIMARY KEY, v text)', i);
    END IF;
    EXECUTE format('INSERT INTO t%s SELECT g, md5(g::text) FROM generate_series(1, 300) g', i);
  END LOOP;
END $$;
ANALYZE;
"""


def _servers(count: int) -> list[LocalPostgres]:
    majors = sorted(available_majors().items(), reverse=True)
    servers = []
    for index in range(count):
        _, bin_dir = majors[index % len(majors)]
        server = LocalPostgres(bin_dir, settings={"wal_level": "replica", "autovacuum": "off"})
        servers.append(server.start())
    return servers


def _databases(servers: list[LocalPostgres], targets: int) -> list[tuple[LocalPostgres, str]]:
    placed = []
    for number in range(targets):
        server = servers[number % len(servers)]
        name = f"db{number:02d}"
        with server.connect() as conn:
            conn.execute(f"CREATE DATABASE {name}")
        with server.connect(name) as conn:
            conn.execute(MAKE_TABLES.format(tables=TABLES_PER_DB))
        placed.append((server, name))
    return placed


def _write_load(server: LocalPostgres, dbname: str, stop: threading.Event) -> None:
    """One session updating a few rows every 50 ms: WAL for the sampler to see."""
    with server.connect(dbname) as conn:
        while not stop.is_set():
            conn.execute("UPDATE t1 SET v = md5(random()::text) WHERE id % 50 = 0")
            time.sleep(0.05)


def _fleet_file(path: Path, placed: list[tuple[LocalPostgres, str]], sample: float) -> None:
    lines = [f"[defaults]\nsample_seconds = {sample}\ninterval = 0.5\nformats = ['html']\n"]
    for server, name in placed:
        dsn = f"host=127.0.0.1 port={server.port} dbname={name} user=postgres"
        lines.append(f'[[targets]]\nname = "{name}"\ndsn = "{dsn}"\n')
    path.write_text("\n".join(lines))


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _run_fleet(
    fleet_file: Path, out: Path, concurrency: int, history: Path, env: dict[str, str]
) -> dict[str, Any]:
    command = [sys.executable, "-m", "audit", "fleet", str(fleet_file), "--out", str(out)]
    command += ["--concurrency", str(concurrency), "--history", str(history)]
    started = time.monotonic()
    cpu_before = os.times()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    parent_hwm = tree_peak = 0
    while process.poll() is None:
        parent_hwm = max(parent_hwm, _status_kib(process.pid, "VmHWM"))
        tree = [process.pid, *_children(process.pid)]
        tree_peak = max(tree_peak, sum(_status_kib(p, "VmRSS") for p in tree))
        time.sleep(POLL_SECONDS)
    wall = time.monotonic() - started
    cpu_after = os.times()
    assert process.stdout is not None
    return {
        "exit_code": process.returncode,
        "wall_seconds": round(wall, 2),
        "cpu_seconds_all_children": round(
            (cpu_after.children_user + cpu_after.children_system)
            - (cpu_before.children_user + cpu_before.children_system),
            1,
        ),
        "parent_peak_rss_mb": round(parent_hwm / 1024, 1),
        "tree_peak_rss_mb": round(tree_peak / 1024, 1),
        "output_tail": process.stdout.read().splitlines()[-1:],
    }


def _history_figures(path: Path) -> dict[str, Any]:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        runs, payload = conn.execute(
            "SELECT count(*), sum(length(report_gz) + length(facts_gz)) FROM cdc_preflight_runs"
        ).fetchone()
    size = path.stat().st_size
    return {
        "runs": runs,
        "file_bytes": size,
        "file_bytes_per_run": round(size / runs) if runs else None,
        "payload_bytes_per_run": round(payload / runs) if runs else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--sample-seconds", type=float, default=2.0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/cdc-preflight-fleet-bench"))
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    servers = _servers(args.servers)
    stop = threading.Event()
    try:
        t0 = time.monotonic()
        placed = _databases(servers, args.targets)
        print(f"{len(placed)} databases on {len(servers)} servers in {time.monotonic() - t0:.0f} s")
        load = [
            threading.Thread(target=_write_load, args=(s, placed[i][1], stop), daemon=True)
            for i, s in enumerate(servers)
        ]
        for thread in load:
            thread.start()
        fleet_file = work / "FLEET.toml"
        _fleet_file(fleet_file, placed, args.sample_seconds)
        stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
        out, history = work / f"out-{stamp}", work / f"history-{stamp}.db"
        env = {**os.environ, "PGPASSWORD": servers[0].superuser_password}
        load_before = os.getloadavg()
        run = _run_fleet(fleet_file, out, args.concurrency, history, env)
        document = json.loads((out / "fleet.json").read_text())
    finally:
        stop.set()
        for server in servers:
            server.stop()
    entries = document["targets"]
    seconds = [e["seconds"] for e in entries if e["seconds"] is not None]
    rss = [e["peak_rss_bytes"] / 2**20 for e in entries if e["peak_rss_bytes"]]
    cpu = [e["cpu_seconds"] for e in entries if e["cpu_seconds"] is not None]
    floor = math.ceil(args.targets / args.concurrency) * args.sample_seconds
    results = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_avg_1m_before": round(load_before[0], 2)},
        "servers": [f"PostgreSQL {s.version_num // 10000} on port {s.port}" for s in servers],
        "targets": args.targets,
        "concurrency": args.concurrency,
        "sample_seconds": args.sample_seconds,
        "tables_per_database": TABLES_PER_DB,
        "statuses": {k: v for k, v in document["totals"].items() if v},
        **run,
        "sampling_floor_seconds": floor,
        "wall_over_floor": round(run["wall_seconds"] / floor, 2),
        "per_target_seconds_median": round(statistics.median(seconds), 2),
        "per_target_seconds_max": round(max(seconds), 2),
        "per_target_cpu_seconds_median": round(statistics.median(cpu), 2),
        "per_target_cpu_seconds_sum": round(sum(cpu), 1),
        "child_peak_rss_mb_median": round(statistics.median(rss), 1),
        "child_peak_rss_mb_max": round(max(rss), 1),
        "history": _history_figures(history),
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
