"""Analysis and rendering: time and peak memory of ``cdc-preflight analyze`` on large schemas.

    python -m bench.render_bench                      # 1k, 20k and 50k tables; writes the doc
    python -m bench.render_bench --sizes 1000 --no-write
    python -m bench.render_bench --sizes 50000 --profile estimates   # cProfile of one phase

For each size the parent writes a synthetic facts.json (deterministic, see below), then runs
fresh Python processes, so a measurement never inherits another's memory or caches:

- ``analyze``: the command line, ``cdc-preflight analyze facts.json --format html,json,md``
  (the analysis: facts read, rules, estimates, report.json, report.html, report.md, and the
  tables.csv / remediation.sql that come with them), ``--repeat`` times (median kept, with the
  CPU range and the load average), timed from the moment the command line is loaded (the
  time to load it, its imports, apart); then the default formats once (PDF too);
- ``phases``: the same steps one by one (read facts, scope, estimates, rules, build the report,
  render JSON, HTML, Markdown, CSV, SQL), each timed, with the peak RSS after each;
- ``pdf``: analyse, then time ``render_pdf`` alone (its cost should not grow with the tables).

Times are wall clock (``time.perf_counter``); memory is each process's peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), interpreter and imports included.

The synthetic schema is deterministic (seeded): 20 schemas; row counts and sizes spread over
four orders of magnitude; 5 % of tables without a primary key (half of them with a unique
index to use instead), 2 % with REPLICA IDENTITY FULL, 1 % unlogged; a tenth of the tables
changed during a 60 s sampling window of 61 WAL positions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks-render.md"
COLLECT_DOC = ROOT / "docs" / "benchmarks-collect.md"
#: What follows this line in the doc is written by hand and kept when the tables are made again.
NOTES_MARKER = "<!-- notes below are kept when the figures are regenerated -->"
SIZES = (1_000, 20_000, 50_000)
ANALYSIS_FORMATS = "html,json,md"
PHASES = ("read facts", "scope", "estimates", "rules", "build report")
RENDERS = ("json", "html", "md", "csv", "sql")
MEMORY_TARGET_MB = 400
PDF_FLAT = 0.2  # the PDF at the largest size within 20 % of the smallest
COLLECTED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def synthetic_facts(tables: int, seed: int = 7) -> Any:
    """A facts document with ``tables`` tables, settings, a slot and a sampling window."""
    from audit.facts import (
        Facts,
        ReplicaIdentity,
        Sampling,
        Server,
        Setting,
        Slot,
        Table,
        Target,
        WalSample,
    )

    rng = random.Random(seed)
    rows: list[Table] = []
    deltas: dict[str, dict[str, int]] = {}
    for i in range(tables):
        schema = f"app_{i % 20:02d}"
        name = f"table_{i:06d}"
        qualified = f"{schema}.{name}"
        tuples = int(10 ** rng.uniform(1, 7))
        width = rng.randint(40, 600)
        keyless = rng.random() < 0.05
        identity = ReplicaIdentity.FULL if rng.random() < 0.02 else ReplicaIdentity.DEFAULT
        rows.append(
            Table(
                schema_name=schema,
                name=name,
                qualified_name=qualified,
                replica_identity=identity,
                primary_key=None if keyless else ["id"],
                unique_candidates=[f"{name}_uuid_key"] if keyless and i % 2 else [],
                unlogged=rng.random() < 0.01,
                reltuples=float(tuples),
                heap_bytes=tuples * width,
                toast_bytes=tuples * width // 10 if rng.random() < 0.3 else 0,
                index_bytes=tuples * 24,
                avg_row_bytes=float(width),
                row_width_source="pg_stats",
                n_tup_ins=tuples,
                n_tup_upd=tuples // rng.randint(1, 20),
                n_tup_del=tuples // rng.randint(5, 100),
                n_tup_hot_upd=tuples // 40,
                n_live_tup=tuples,
                last_analyze=COLLECTED - timedelta(days=1),
                can_select=True,
                row_security=False,
                toastable_columns=[],
                special_columns=[],
            )
        )
        if i % 10 == 0:
            deltas[qualified] = {
                "n_tup_ins": rng.randint(0, 5000),
                "n_tup_upd": rng.randint(0, 3000),
                "n_tup_del": rng.randint(0, 500),
                "n_tup_hot_upd": rng.randint(0, 1000),
            }
    start = COLLECTED - timedelta(seconds=60)
    position = 0x10000000
    samples = []
    for second in range(61):
        samples.append(
            WalSample(
                at=start + timedelta(seconds=second),
                lsn=f"{position >> 32:X}/{position & 0xFFFFFFFF:X}",
                xact_commit=second * 500,
                tup_inserted=second * 4000,
                tup_updated=second * 2000,
                tup_deleted=second * 300,
            )
        )
        position += rng.randint(1, 8) * 1024 * 1024
    settings = {
        name: Setting(name=name, value=value, unit=unit, context=context, source="default")
        for name, value, unit, context in (
            ("wal_level", "replica", None, "postmaster"),
            ("max_replication_slots", "10", None, "postmaster"),
            ("max_wal_senders", "10", None, "postmaster"),
            ("max_slot_wal_keep_size", "-1", "MB", "sighup"),
            ("wal_sender_timeout", "60000", "ms", "user"),
            ("max_wal_size", "1024", "MB", "sighup"),
        )
    }
    return Facts(
        tool_version="bench",
        collected_at=COLLECTED,
        target=Target(host="bench.example", port=5432, dbname="app", user="audit"),
        server=Server(
            version="16.4",
            version_num=160004,
            in_recovery=False,
            current_database="app",
            current_user="audit",
        ),
        settings=settings,
        tables=rows,
        slots=[
            Slot(
                slot_name="old_standby",
                slot_type="physical",
                active=False,
                retained_bytes=5 * 1024**3,
                inactive_since=COLLECTED - timedelta(days=3),
            )
        ],
        sampling=Sampling(
            started_at=start,
            ended_at=COLLECTED,
            interval_seconds=1.0,
            requested_seconds=60.0,
            methods=["lsn", "row_changes"],
            samples=samples,
            table_deltas=deltas,
        ),
        labels={"scenario": f"bench-{tables}"},
    )


def _pages(pdf: bytes) -> int | None:
    """Page count from poppler's pdfinfo, when it is installed."""
    import shutil

    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run([pdfinfo, handle.name], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


def _cpu_s() -> float:
    """User + system CPU seconds of this process and of the children it has waited for (the
    process ``analyze`` forks to write the files for machines): steadier than wall time on a
    busy machine."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def _maxrss_mb(who: int = resource.RUSAGE_SELF) -> float:
    kb = resource.getrusage(who).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def _steps(facts_path: Path) -> list[tuple[str, Callable[[], Any]]]:
    """The steps of ``cdc-preflight analyze``, one callable each (they share a namespace)."""
    from audit import report as r
    from audit.config import AuditConfig
    from audit.engine import RuleContext, all_rules, evaluate, get_profile
    from audit.estimate import estimate_all
    from audit.facts.io import decode_facts, read_facts_bytes
    from audit.parameters import audit_parameters
    from audit.pipeline import apply_waivers, selected_rules
    from audit.report.model import build_report
    from audit.report.render import render_json_chunks
    from audit.scope import apply_scope

    profile, config = get_profile("debezium"), AuditConfig()
    state: dict[str, Any] = {}

    def read() -> None:
        state["facts"] = decode_facts(read_facts_bytes(facts_path), str(facts_path))

    def scope() -> None:
        state["facts"], state["scope"] = apply_scope(state["facts"], config.scope)

    def estimates() -> None:
        state["estimates"] = estimate_all(state["facts"], profile, config.estimates)

    def rules() -> None:
        chosen = selected_rules(profile, config)
        contexts = {
            x.code: RuleContext(
                profile=profile, options=config.options_for(x), estimates=state["estimates"]
            )
            for x in chosen
        }
        on = state["facts"].collected_at.date()
        state["evaluation"] = apply_waivers(
            evaluate(state["facts"], chosen, contexts), config.waivers, on
        )

    def build() -> None:
        state["report"] = build_report(
            state["facts"],
            state["evaluation"],
            profile,
            "0" * 64,
            rules_in_pack=len(all_rules()),
            estimates=state["estimates"],
            parameters=audit_parameters(profile, config),
        ).model_copy(update={"scope": state["scope"].as_dict()})

    renders: dict[str, Callable[[Any], Any]] = {
        "json": lambda report: sum(len(c) for c in render_json_chunks(report)),  # as written
        "html": r.render_html,
        "md": r.render_markdown,
        "csv": r.render_csv,
        "sql": r.render_remediation_sql,
    }
    return [
        ("read facts", read),
        ("scope", scope),
        ("estimates", estimates),
        ("rules", rules),
        ("build report", build),
        *[(name, lambda f=f: f(state["report"])) for name, f in renders.items()],
        ("report", lambda: state["report"]),
    ]


def phases_child(facts_path: Path, profile_phase: str | None) -> dict[str, Any]:
    """Each step timed, with the peak RSS after it; the collector paused as in the pipeline."""
    import cProfile
    import pstats

    from audit.gc_pause import paused_gc

    result: dict[str, Any] = {"rss_start_mb": round(_maxrss_mb(), 1), "phases": {}}
    profiler = cProfile.Profile()
    with paused_gc():
        for name, step in _steps(facts_path)[:-1]:
            if name == profile_phase:
                profiler.enable()
            began, cpu = time.perf_counter(), _cpu_s()
            step()
            seconds = time.perf_counter() - began
            if name == profile_phase:
                profiler.disable()
            result["phases"][name] = {
                "s": round(seconds, 2),
                "cpu_s": round(_cpu_s() - cpu, 2),
                "rss_mb": round(_maxrss_mb(), 1),
            }
    if profile_phase:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(40)
    return result


def pdf_child(facts_path: Path) -> dict[str, Any]:
    """Analyse (not timed), then render the PDF alone."""
    import weasyprint  # noqa: F401  (import time is not render time)

    from audit.report import render_pdf

    steps = _steps(facts_path)
    for _, step in steps[:5]:
        step()
    report = steps[-1][1]()
    began, cpu = time.perf_counter(), _cpu_s()
    pdf = render_pdf(report)
    seconds = time.perf_counter() - began
    return {
        "s": round(seconds, 2),
        "cpu_s": round(_cpu_s() - cpu, 2),
        "pages": _pages(pdf),
        "bytes": len(pdf),
    }


def cli_child(args: list[str]) -> dict[str, Any]:
    """``cdc-preflight ARGS`` in this process: wall time, exit code and peak RSS; the time to
    load the command line (its imports) apart, as ``import_s`` / ``import_cpu_s``."""
    began, cpu = time.perf_counter(), _cpu_s()
    from audit.cli import main as cli

    loaded = {
        "import_s": round(time.perf_counter() - began, 2),
        "import_cpu_s": round(_cpu_s() - cpu, 2),
    }
    began, cpu = time.perf_counter(), _cpu_s()
    try:
        cli(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    return {
        "s": round(time.perf_counter() - began, 2),
        "cpu_s": round(_cpu_s() - cpu, 2),
        "code": code,
        "rss_mb": round(_maxrss_mb(), 1),
        # the forked writer's peak; it counts the pages it shares with this process
        "child_rss_mb": round(_maxrss_mb(resource.RUSAGE_CHILDREN), 1),
        **loaded,
    }


def _child(*args: str, profile: bool = False) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.render_bench", "--child", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=None if profile else subprocess.PIPE,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _median(runs: list[dict[str, Any]], key: str) -> float:
    values = sorted(r[key] for r in runs)
    return float(values[len(values) // 2])


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def measure_all(sizes: list[int], profile_phase: str | None, repeat: int) -> list[dict[str, Any]]:
    """Every size (:func:`measure`), then the PDF alone, ``repeat`` rounds alternating the
    sizes (the machine's speed drifts over minutes: alternating keeps that drift out of the
    comparison of sizes), the median of each size kept."""
    with tempfile.TemporaryDirectory(prefix="cdc-bench-") as tmp:
        rows = [measure(size, Path(tmp), profile_phase, repeat) for size in sizes]
        if profile_phase:
            return rows
        pdf_runs: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
        for _ in range(max(1, repeat)):
            for size in sizes:
                pdf_runs[size].append(_child("pdf", str(Path(tmp) / f"facts-{size}.json")))
        for row in rows:
            runs = pdf_runs[row["tables"]]
            row["pdf"] = {
                **{key: _median(runs, key) for key in ("s", "cpu_s")},
                "pages": runs[0]["pages"],
                "bytes": runs[0]["bytes"],
                "runs": [r["cpu_s"] for r in runs],
            }
            row["load_after"] = _load()
            print(json.dumps(row), flush=True)
    return rows


def measure(
    tables: int, tmp: Path, profile_phase: str | None = None, repeat: int = 3
) -> dict[str, Any]:
    """One size: write the facts (kept in ``tmp`` for the PDF rounds), then the end-to-end
    runs and the phases.

    The analysis runs ``repeat`` times (the machine may be shared: the median and the range are
    kept, with the load average before and after). Every step runs in a child: Linux carries a
    process's peak RSS over to the programs it starts, so this process stays small (it never
    imports audit)."""
    facts = tmp / f"facts-{tables}.json"
    _child("facts", str(tables), str(facts))
    row: dict[str, Any] = {"tables": tables, "facts_mb": round(facts.stat().st_size / 1e6, 1)}
    if profile_phase:
        row["phases"] = _child("phases", str(facts), profile_phase, profile=True)["phases"]
        return row
    row["load_before"] = _load()
    common = ["analyze", str(facts), "--fail-on", "never"]
    runs = [
        _child("cli", *common, "--out", f"{tmp}/analysis-{tables}", "--format", ANALYSIS_FORMATS)
        for _ in range(max(1, repeat))
    ]
    row["analysis"] = {
        key: _median(runs, key)
        for key in ("s", "cpu_s", "rss_mb", "child_rss_mb", "import_s", "import_cpu_s")
    }
    row["analysis"]["runs"] = runs
    row["all_formats"] = _child("cli", *common, "--out", f"{tmp}/all-{tables}")
    row.update(_child("phases", str(facts), ""))
    return row


def _mb(value: float) -> str:
    return f"{value:,.0f}"


def collection_seconds(tables: int, path: Path = COLLECT_DOC) -> float | None:
    """The collection time of ``tables`` tables in docs/benchmarks-collect.md, if listed."""
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) > 1 and cells[0].replace(",", "") == str(tables):
            try:
                return float(cells[1])
            except ValueError:
                return None
    return None


def _spread(runs: list[dict[str, Any]], key: str) -> str:
    values = [r[key] for r in runs]
    return f"{min(values):.2f}-{max(values):.2f}" if len(values) > 1 else f"{values[0]:.2f}"


def status_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Met / not met for each target of issue 13 item 7, with the figures."""
    smallest, largest = rows[0], rows[-1]
    a = largest["analysis"]
    collect = collection_seconds(largest["tables"])
    pdf_growth = largest["pdf"]["s"] / smallest["pdf"]["s"] - 1 if smallest["pdf"]["s"] else 0
    pdf_cpu = (
        largest["pdf"]["cpu_s"] / smallest["pdf"]["cpu_s"] - 1 if smallest["pdf"]["cpu_s"] else 0
    )
    n = f"{largest['tables']:,}"
    if collect is None:
        time_line = f"- **Time: no collection figure** for {n} tables in benchmarks-collect.md."
    else:
        word = "met" if a["s"] < collect else "not met"
        time_line = (
            f"- **Time (wall): {word}.** The analysis of {n} tables took {a['s']:.2f} s wall "
            f"and {a['cpu_s']:.2f} CPU s in two processes (median of {len(a['runs'])} runs; "
            f"CPU {_spread(a['runs'], 'cpu_s')} s), against {collect:.2f} s to collect them "
            f"({(a['s'] / collect):.2f}x in wall time, {(a['cpu_s'] / collect):.2f}x in CPU). "
            f"Loading the command line adds {a['import_s']:.2f} s "
            f"({a['import_cpu_s']:.2f} CPU s) before it."
        )
    memory = a["rss_mb"]
    memory_line = (
        f"- **Memory: {'met' if memory < MEMORY_TARGET_MB else 'not met'}.** The analysis "
        f"peaks at {_mb(memory)} MB at {n} tables (target {MEMORY_TARGET_MB} MB), its "
        f"second process at {_mb(a.get('child_rss_mb', 0))} MB; with the PDF "
        f"{_mb(largest['all_formats']['rss_mb'])} MB."
    )
    pdf_line = (
        f"- **PDF flat in the table count: {'met' if abs(pdf_cpu) <= PDF_FLAT else 'not met'}"
        f".** {pdf_cpu:+.0%} CPU ({pdf_growth:+.0%} wall, which moves with the load) from "
        f"{smallest['tables']:,} to {n} tables."
    )
    return [time_line, memory_line, pdf_line]


def write_doc(rows: list[dict[str, Any]], path: Path = DOC) -> None:
    smallest, largest = rows[0], rows[-1]
    pdf_growth = largest["pdf"]["s"] / smallest["pdf"]["s"] - 1 if smallest["pdf"]["s"] else 0
    pdf_cpu_growth = (
        largest["pdf"]["cpu_s"] / smallest["pdf"]["cpu_s"] - 1 if smallest["pdf"]["cpu_s"] else 0
    )
    loads = [r[k] for r in rows for k in ("load_before", "load_after")]
    lines = [
        "# Analysis and rendering: time and memory on large schemas",
        "",
        f"Generated by `python -m bench.render_bench` on {datetime.now(UTC):%Y-%m-%d} "
        f"({platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} CPUs). "
        "Each figure comes from a fresh process reading a synthetic facts.json (see the "
        "docstring of bench/render_bench.py); peak RSS is the whole process: interpreter, "
        "imports, facts, analysis and output. The machine was shared: its load average "
        f"(1 min) was {min(loads):.1f} to {max(loads):.1f} during the runs.",
        "",
        f"Targets at 50,000 tables: the analysis (`analyze --format {ANALYSIS_FORMATS}`: rules, "
        "estimates, JSON, HTML and Markdown, with tables.csv and remediation.sql) faster than "
        "collecting the same tables (docs/benchmarks-collect.md) and under "
        f"{MEMORY_TARGET_MB} MB; the PDF's render time flat in the table count (the largest "
        f"size within {PDF_FLAT:.0%} of the smallest).",
        "",
        "## `cdc-preflight analyze` end to end",
        "",
        "Wall seconds, then CPU seconds (user + system) in brackets: on a shared machine the "
        "CPU figure is the steadier one. The analysis is the median of the runs (their CPU "
        "range after it); like the collection benchmark it starts once the command line is "
        "loaded, and the time to load it (imports) is the next column. `analyze` writes "
        "report.json and tables.csv in a second process (forked once the report is built) "
        "while it renders report.html, report.md and remediation.sql: the CPU seconds are "
        "both processes', and the second process's peak RSS is the column after the first's "
        "(it counts the pages it shares with the first).",
        "",
        f"| tables | facts.json (MB) | analysis `--format {ANALYSIS_FORMATS}` (s) | CPU range (s) "
        "| loading the CLI (s) | peak RSS (MB) | second process (MB) "
        "| all formats, PDF included (s) | peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        a, b = r["analysis"], r["all_formats"]
        lines.append(
            f"| {r['tables']:,} | {r['facts_mb']} | {a['s']:.2f} ({a['cpu_s']:.2f}) "
            f"| {_spread(a['runs'], 'cpu_s')} | {a['import_s']:.2f} ({a['import_cpu_s']:.2f}) "
            f"| {_mb(a['rss_mb'])} | {_mb(a.get('child_rss_mb', 0))} "
            f"| {b['s']:.2f} ({b['cpu_s']:.2f}) | {_mb(b['rss_mb'])} |"
        )
    lines += [
        "",
        "## Phase by phase",
        "",
        "CPU seconds per step (wall seconds move with the machine's load), in one process, in "
        "the order `analyze` runs them; then the process's peak RSS at the end. The PDF is "
        "rendered in a process of its own (wall, then CPU seconds in brackets), once per "
        "round, the sizes alternated round by round (the machine's speed drifts over minutes), "
        "the median of the rounds kept. "
        "`analyze` renders report.md from the view context report.html made; the md phase here "
        "makes it again.",
        "",
        "| tables | " + " | ".join(PHASES + RENDERS) + " | peak RSS (MB) | pdf (s) | pages |",
        "|---:|" + "---:|" * (len(PHASES) + len(RENDERS) + 3),
    ]
    for r in rows:
        phases = r["phases"]
        cells = [f"{phases[name]['cpu_s']:.2f}" for name in PHASES + RENDERS]
        peak = max(p["rss_mb"] for p in phases.values())
        pdf = r["pdf"]
        lines.append(
            f"| {r['tables']:,} | " + " | ".join(cells) + f" | {_mb(peak)} "
            f"| {pdf['s']:.2f} ({pdf['cpu_s']:.2f}) | {pdf['pages'] or ''} |"
        )
    lines += [
        "",
        f"PDF at {largest['tables']:,} tables vs {smallest['tables']:,}: {pdf_growth:+.0%} "
        f"wall, {pdf_cpu_growth:+.0%} CPU. The "
        "PDF lists the 200 most severe findings (5 per rule in full, the rest one row each), the "
        "100 tables with the most impact and 10 subjects per remediation step, and says on the "
        "page where the rest is (tables.csv, report.html, report.json); the HTML shows every "
        "finding, 2,000 tables and 200 subjects per step; tables.csv, remediation.sql and "
        "report.json carry everything.",
        "",
        "## Status (issue 13 item 7)",
        "",
        *status_lines(rows),
        "",
    ]
    kept = ""
    if path.exists() and NOTES_MARKER in path.read_text():
        kept = path.read_text().split(NOTES_MARKER, 1)[1]
    path.write_text("\n".join(lines) + "\n" + NOTES_MARKER + kept)


def child(kind: str, rest: list[str]) -> dict[str, Any]:
    if kind == "facts":
        from audit.facts import dump_facts

        Path(rest[1]).write_text(dump_facts(synthetic_facts(int(rest[0]))))
        return {}
    if kind == "phases":
        return phases_child(Path(rest[0]), rest[1] or None)
    if kind == "pdf":
        return pdf_child(Path(rest[0]))
    return cli_child(rest)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:  # before argparse: the CLI's own options follow
        print(json.dumps(child(sys.argv[2], sys.argv[3:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the analysis per size (median kept)"
    )
    parser.add_argument("--from-log", help="write the doc from the output of an earlier run")
    parser.add_argument(
        "--profile", choices=PHASES + RENDERS, help="print a cProfile of this phase (no doc)"
    )
    args = parser.parse_args()
    if args.from_log:  # the doc again from the rows a run printed (one JSON object a line)
        lines = Path(args.from_log).read_text().splitlines()
        write_doc([json.loads(line) for line in lines if line.startswith('{"tables"')])
        print(f"wrote {DOC.relative_to(ROOT)}")
        return
    rows = measure_all([int(s) for s in args.sizes.split(",")], args.profile, args.repeat)
    if not args.no_write and not args.profile:
        write_doc(rows)
        print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
