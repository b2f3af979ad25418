"""What changed between two reports of one target: the ``changes`` block of report.json and the
output of ``cdc-preflight diff``. Built by :func:`audit.history.diff.diff_reports`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from audit.engine import Severity

FindingField = Literal["severity", "message", "waived"]


class ReportModel(BaseModel):
    """As :class:`audit.report.base.ReportModel` (frozen, strict), without importing the
    report package: the report model imports this module."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Baseline(ReportModel):
    """The earlier report the changes are counted from."""

    report_id: str
    generated_at: datetime = Field(description="when the baseline's facts were collected")
    source: str = Field(description="the file, output directory or history store it came from")


class FindingRef(ReportModel):
    """A finding as the diff names it: matched across runs by (code, subject)."""

    code: str
    subject: str
    title: str
    severity: Severity
    message: str
    waived: bool = False


class FindingChange(ReportModel):
    """A finding present in both reports whose severity, message or waiver changed."""

    code: str
    subject: str
    title: str
    fields: list[FindingField] = Field(description="what changed")
    before: FindingRef
    after: FindingRef


class MetricChange(ReportModel):
    """A capacity figure in both reports (``None`` where a report could not estimate it)."""

    name: str = Field(description="wal_now_bytes_per_s, retained_wal_bytes, tables, ...")
    label: str
    subject: str | None = Field(default=None, description="the slot, for per-slot figures")
    unit: Literal["bytes", "bytes/s", "seconds", "hours", "count"]
    before: float | None
    after: float | None
    change: float | None = Field(description="after - before; None when either is unknown")
    ratio: float | None = Field(
        default=None, description="change / before; None when before is unknown or zero"
    )


class Changes(ReportModel):
    """New, resolved and changed findings and the capacity figures, baseline -> this report."""

    baseline: Baseline | None = Field(
        description="None: no earlier run of this target to compare with"
    )
    new: list[FindingRef] = Field(default_factory=list)
    resolved: list[FindingRef] = Field(default_factory=list)
    changed: list[FindingChange] = Field(default_factory=list)
    metrics: list[MetricChange] = Field(default_factory=list)

    def regressions(self, threshold: Severity) -> list[FindingRef]:
        """What a weekly job alerts on: new unwaived findings at or above ``threshold``, and
        findings that reached it since the baseline (rose in severity or lost their waiver)."""
        new = [f for f in self.new if _counts(f, threshold)]
        risen = [
            c.after
            for c in self.changed
            if _counts(c.after, threshold) and not _counts(c.before, threshold)
        ]
        return new + risen


def _counts(finding: FindingRef, threshold: Severity) -> bool:
    return not finding.waived and finding.severity.at_least(threshold)
