"""``--history``, ``--baseline``, ``--keep-weeks`` and ``--fail-on-new`` for one audit run.

The command line opens the store before any work starts (a wrong location fails first), adds
the ``changes`` block to the report before it is written, and stores the run after the output
set is in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from audit.engine import Severity
from audit.facts import Facts
from audit.history.changes import Changes
from audit.history.diff import diff_reports
from audit.history.documents import read_report
from audit.history.identity import target_identity
from audit.history.store import HistoryError, HistoryStore, NewRun, open_store
from audit.report.model import Report
from audit.report.render import render_json

LAST = "last"


class BaselineError(ValueError):
    """--baseline, --keep-weeks or --fail-on-new cannot mean what was typed: a usage error."""


@dataclass(frozen=True)
class HistoryOptions:
    history: str | None = None
    baseline: str | None = None
    keep_weeks: int | None = None
    fail_on_new: bool = False

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
        earlier = self.store.previous(identity.id, report.profile, report.generated_at)
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
                run_at=report.generated_at,
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


def regressions_exit(changes: Changes | None, threshold: Severity | None) -> bool:
    """Whether --fail-on-new fires: a new (or newly risen) finding at or above ``threshold``."""
    return bool(threshold and changes and changes.regressions(threshold))


__all__ = ["LAST", "BaselineError", "HistoryError", "HistoryOptions", "HistoryRun"]
