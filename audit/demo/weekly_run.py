"""The output of ``demo --weeks N``: one report per simulated week, their history, a summary.

``--out`` holds ``week-1`` ... ``week-N`` (each a complete output set, as ``audit`` writes
it), ``history.sqlite`` (the N runs, dated one week apart, labelled SIMULATED) and
``fleet.json``, ``fleet.csv`` and ``fleet.html``: the fleet summary (:mod:`audit.fleet.summary`)
with one row per week instead of one per database. Week N's report has the "Changes since"
and "Trends since" sections; every week's report compares with the week before.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from audit import interrupt
from audit.config import load_config
from audit.demo import DEMO_CONFIG
from audit.demo.weeks import run_demo_weeks, week_story
from audit.engine import Severity, get_profile
from audit.facts import Facts, write_facts
from audit.facts.io import facts_sha256
from audit.files import write_atomic
from audit.fleet.config import TargetPlan
from audit.fleet.page import render_html as render_fleet_html
from audit.fleet.runner import FleetRun, Outcome, Status
from audit.fleet.summary import fleet_document, target_entry
from audit.fleet.summary import render_csv as render_fleet_csv
from audit.fleet.summary import render_json as render_fleet_json
from audit.history.baseline import LAST, HistoryOptions, HistoryRun
from audit.outdir import OutputError, output_set
from audit.pipeline import DocumentInfo, analyze
from audit.report.model import Report

HISTORY = "history.sqlite"
FORMATS = ("html", "pdf", "json", "md")
SUMMARY_FILES = ("fleet.json", "fleet.csv", "fleet.html")
#: Everything a weekly demo writes into --out: only these are replaced by a new run.
_OWN = (HISTORY, f"{HISTORY}-wal", f"{HISTORY}-shm", *SUMMARY_FILES)


class WeeklyDemoError(Exception):
    """--out cannot take the weekly demo; one line, a usage error."""


def week_folder(week: int) -> str:
    return f"week-{week}"


def prepare(out: Path) -> None:
    """``out`` new, empty, or an earlier weekly demo's (whose history is started afresh)."""
    if out.exists() and not out.is_dir():
        raise WeeklyDemoError(f"--out {out} is a file, not a directory")
    if out.is_dir():
        foreign = [
            p.name
            for p in out.iterdir()
            if p.name not in _OWN
            and not (p.name.startswith("week-") and p.is_dir())
            and not (p.name.startswith(".week-") and p.name.endswith(".lock"))  # output sets'
        ]
        if foreign:
            names = ", ".join(sorted(foreign)[:3])
            raise WeeklyDemoError(
                f"--out {out} holds files the weekly demo did not write ({names}): choose a "
                "new or empty directory"
            )
        for name in _OWN:
            (out / name).unlink(missing_ok=True)
        for old in out.glob("week-*"):
            shutil.rmtree(old)
    out.mkdir(parents=True, exist_ok=True)


@dataclass
class WeeklyDemo:
    out: Path
    weeks: int
    sample_seconds: float
    interval: float
    echo: Callable[[str], None]
    change_ref: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    interrupted: bool = False

    def plan(self, week: int, facts: Facts) -> TargetPlan:
        return TargetPlan(
            name=f"week {week} (SIMULATED)",
            folder=week_folder(week),
            dsn=f"demo server {facts.target.host}:{facts.target.port}/{facts.target.dbname}",
            profile="debezium",
            sample_seconds=self.sample_seconds,
            interval=self.interval,
            tables=None,
            publication=None,
            config=None,
            formats=FORMATS,
            labels=dict(facts.labels),
            aws_cluster_id=None,
            aws_instance_id=None,
            aws_region=None,
            aws_profile=None,
            iam_auth=False,
            read_probe=True,
            timeout_seconds=0.0,
        )

    def on_week(self, week: int, facts: Facts, run_at: datetime) -> None:
        from audit.report import write_reports

        started = datetime.now(UTC)
        history = HistoryRun(
            HistoryOptions(history=str(self.out / HISTORY), baseline=LAST, run_at=run_at)
        )
        try:
            with output_set(self.out / week_folder(week)) as outputs:
                write_facts(facts, outputs.path("facts.json"))
                facts_json = outputs.path("facts.json").read_bytes()
                config = outputs.path("cdc-preflight.toml")
                write_atomic(config, DEMO_CONFIG.read_bytes())
                report = analyze(
                    facts,
                    profile=get_profile("debezium"),
                    config=load_config(config),
                    facts_sha256=facts_sha256(outputs.path("facts.json")),
                    document=DocumentInfo(change_ref=self.change_ref),
                )
                report = history.annotate(report, facts)
                assert outputs.staging is not None
                write_reports(report, outputs.staging, FORMATS)
                self.interrupted = bool(facts.sampling and facts.sampling.interrupted)
                where = outputs.commit(keep_earlier=self.interrupted)
            if self.interrupted:
                self.echo(f"Week {week} interrupted: partial report in {where}; not stored")
                return
            history.record(report, facts, facts_json)
        finally:
            history.close()
        self.reports.append(report)
        critical = report.counts.get(Severity.CRITICAL.value, 0)
        self.outcomes.append(
            Outcome(
                plan=self.plan(week, facts),
                status=Status.AUDITED,
                exit_code=1 if critical else 0,
                started_at=started,
                seconds=(datetime.now(UTC) - started).total_seconds(),
            )
        )
        changes = report.changes
        said = (
            f"{len(changes.new)} new, {len(changes.resolved)} resolved since week {week - 1}"
            if changes and changes.baseline
            else "the first run: the baseline of the next"
        )
        self.echo(
            f"Week {week}: {report.verdict.value.replace('_', ' ')}; {said}; dated "
            f"{run_at:%Y-%m-%d} (SIMULATED) in {self.out / HISTORY} -> {where}"
        )

    def summary(self, started: datetime) -> None:
        entries = [target_entry(o, self.out) for o in self.outcomes]
        run = FleetRun(self.outcomes, started, datetime.now(UTC))
        document = fleet_document(
            run,
            entries,
            fleet_file=Path(f"demo --weeks {self.weeks} (SIMULATED weekly runs, one row per week)"),
            concurrency=1,
            shard=None,
            history=HISTORY,
            total_targets=self.weeks,
        )
        write_atomic(self.out / "fleet.json", render_fleet_json(document).encode())
        write_atomic(self.out / "fleet.csv", render_fleet_csv(entries).encode())
        write_atomic(self.out / "fleet.html", render_fleet_html(document).encode())


def run(demo: WeeklyDemo, progress: Callable[[str], None] | None = None) -> int:
    """Run the weekly demo into ``demo.out``; the exit code (0, or the interrupt's)."""
    try:
        prepare(demo.out)
    except OSError as exc:
        raise WeeklyDemoError(f"--out {demo.out}: {exc.strerror or exc}") from exc
    started = datetime.now(UTC)
    for week in range(2, demo.weeks + 1):
        demo.echo(f"  week {week}: {week_story(week)}")

    def on_week(week: int, facts: Facts, run_at: datetime) -> None:
        if demo.interrupted:
            return
        try:
            demo.on_week(week, facts, run_at)
        except OutputError as exc:
            raise WeeklyDemoError(str(exc)) from exc

    run_demo_weeks(
        weeks=demo.weeks,
        sample_seconds=demo.sample_seconds,
        interval=demo.interval,
        log=demo.echo,
        on_week=on_week,
        progress=progress,
        stop=lambda: demo.interrupted,
    )
    if demo.outcomes:
        demo.summary(started)
        demo.echo(f"Summary, one row per week: {demo.out / 'fleet.html'}")
    return interrupt.exit_code() if demo.interrupted else 0
