"""``--history``, ``--baseline``, ``--keep-weeks`` and ``--fail-on-new`` for one audit run.

The command line opens the store before any work starts (a wrong location fails first), adds
the ``changes`` block to the report before it is written, and stores the run after the output
set is in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from audit.engine import Severity
from audit.facts import Facts
from audit.history.changes import Changes
from audit.history.diff import diff_reports
from audit.history.documents import read_report
from audit.history.identity import target_identity
from audit.history.store import HistoryError, HistoryStore, NewRun, open_store, utc
from audit.history.trends import Trends
from audit.report.model import Report
from audit.report.render import render_json

if TYPE_CHECKING:
    from audit.history.trend_series import Observation

LAST = "last"
#: What the trends say when a run's date in the history is not its collection time.
SIMULATED_SCHEDULE = (
    "SIMULATED weekly runs: the facts were collected minutes apart and each run is dated in "
    "the history as if a week had passed between them; the growth per week is the growth "
    "between runs"
)


class BaselineError(ValueError):
    """--baseline, --keep-weeks or --fail-on-new cannot mean what was typed: a usage error."""


@dataclass(frozen=True)
class HistoryOptions:
    history: str | None = None
    baseline: str | None = None
    keep_weeks: int | None = None
    fail_on_new: bool = False
    #: The run's date in the history instead of its collection time: the demo's simulated
    #: weekly schedule only (no command-line option sets it). The report then says so.
    run_at: datetime | None = None

    def check(self) -> None:
        """Refuse combinations that would quietly do nothing."""
        if self.baseline == LAST and self.history is None:
            raise BaselineError("--baseline last needs --history LOCATION (where the runs are)")
        if self.keep_weeks is not None and self.history is None:
            raise BaselineError("--keep-weeks needs --history LOCATION (whose runs to prune)")
        if self.fail_on_new and self.baseline is None:
            raise BaselineError("--fail-on-new needs --baseline last|PATH (what is new since)")
        if self.baseline not in (None, LAST):
            read_report(Path(self.baseline))  # a wrong path fails before the database


class HistoryRun:
    """The history side of one run; open it before collecting."""

    def __init__(self, options: HistoryOptions) -> None:
        options.check()
        self.options = options
        self.store: HistoryStore | None = (
            open_store(options.history) if options.history is not None else None
        )

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def run_at(self, report: Report) -> datetime:
        """The run's date in the history: its collection time unless a schedule is simulated."""
        return utc(self.options.run_at or report.generated_at)

    def annotate(self, report: Report, facts: Facts) -> Report:
        """``report`` with its changes since the baseline and its trends over the history."""
        update: dict[str, object] = {}
        changes = self.changes(report, facts)
        if changes is not None:
            update["changes"] = changes
        trends = self.trends(report, facts)
        if trends is not None:
            update["trends"] = trends
        return report.model_copy(update=update) if update else report

    def trends(self, report: Report, facts: Facts) -> Trends | None:
        """The trend over this target's earlier runs (same profile) and this one; None
        without a history or an earlier run. pandas is imported only when there is one."""
        if self.store is None:
            return None
        identity = target_identity(facts)
        at = self.run_at(report)
        earlier = [
            r
            for r in self.store.runs(identity.id)
            if r.target_id == identity.id and r.profile == report.profile and r.run_at < at
        ]
        if not earlier:
            return None
        from audit.history.trend_series import MAX_RUNS, build_trends, observe

        observations: list[Observation] = []
        for run in earlier[: MAX_RUNS - 1]:  # newest first
            doc = self.store.report(run.id)
            simulated = _simulated(run.run_at, doc.get("generated_at"))
            observations.append(
                observe(doc, run_at=run.run_at, source=f"history run {run.id}", simulated=simulated)
            )
        observations.append(
            observe(
                report.model_dump(mode="json"),
                run_at=at,
                source="this run",
                simulated=at != utc(report.generated_at),
            )
        )
        simulated = any(o.run.simulated for o in observations)
        return build_trends(observations, SIMULATED_SCHEDULE if simulated else None)

    def changes(self, report: Report, facts: Facts) -> Changes | None:
        """The changes since the baseline; with ``last`` and no earlier run, a block that
        says so (nothing is new on a target's first run)."""
        baseline = self.options.baseline
        if baseline is None:
            return None
        after = report.model_dump(mode="json")
        if baseline != LAST:
            return diff_reports(read_report(Path(baseline)), after, baseline)
        assert self.store is not None
        identity = target_identity(facts)
        earlier = self.store.previous(identity.id, report.profile, self.run_at(report))
        if earlier is None:
            return Changes(baseline=None)
        source = f"history {self.store.location}, run {earlier.id}"
        return diff_reports(self.store.report(earlier.id), after, source)

    def record(self, report: Report, facts: Facts, facts_json: bytes) -> tuple[bool, int]:
        """Store the run (and prune with --keep-weeks); (stored now, runs pruned)."""
        if self.store is None:
            return False, 0
        identity = target_identity(facts)
        report_json = render_json(report).encode()
        added = self.store.add(
            NewRun(
                report_id=report.report_id,
                target_id=identity.id,
                target_name=identity.name,
                profile=report.profile,
                run_at=self.run_at(report),
                verdict=report.verdict.value,
                counts=report.counts,
                labels=report.labels,
                tool_version=report.tool.version,
                facts_sha256=report.facts_sha256,
                report_json=report_json,
                facts_json=facts_json,
            )
        )
        pruned = 0
        if self.options.keep_weeks is not None:
            pruned = self.store.prune(identity.id, timedelta(weeks=self.options.keep_weeks))
        return added, pruned


def _simulated(run_at: datetime, generated_at: object) -> bool:
    """A stored run dated otherwise than its report's collection time (the demo's schedule)."""
    try:
        collected = datetime.fromisoformat(str(generated_at))
    except ValueError:
        return False
    return abs((utc(run_at) - utc(collected)).total_seconds()) > 1


def regressions_exit(changes: Changes | None, threshold: Severity | None) -> bool:
    """Whether --fail-on-new fires: a new (or newly risen) finding at or above ``threshold``."""
    return bool(threshold and changes and changes.regressions(threshold))


__all__ = ["LAST", "BaselineError", "HistoryError", "HistoryOptions", "HistoryRun"]
