"""Trends over a target's runs: the ``trends`` block of report.json.

Built by :func:`audit.history.trend_series.build_trends` from the history's earlier runs of
the same target and profile plus this run; ``None`` (``"trends": null``) without a history or
with no earlier run. No pandas or numpy is imported here: the report model imports this module
on every run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from audit.history.changes import ReportModel

Unit = Literal["bytes", "bytes/s", "seconds", "hours", "count"]
Group = Literal["wal_rate", "slots", "tables", "snapshot_wal", "snapshot_time", "findings"]


class TrendRun(ReportModel):
    """One run of the trend, oldest first; the last is this report."""

    run_at: datetime = Field(description="when the run was collected, as the history dates it")
    report_id: str
    source: str = Field(description="'history run 12' or 'this run'")
    simulated: bool = Field(
        default=False,
        description="dated by the demo's simulated weekly schedule, not by the clock: the "
        "facts were collected minutes apart",
    )


class Fit(ReportModel):
    """Least-squares line of the values on time (:mod:`audit.history.fit`)."""

    runs: int = Field(description="runs with a value")
    span_days: float = Field(description="days from the first to the last of those runs")
    slope_per_week: float = Field(description="growth per week, in the series' unit")
    slope_stderr: float | None = Field(
        description="standard error of the slope; None with two runs (no residual to "
        "estimate it from)"
    )
    r_squared: float | None = Field(
        description="None when the series is flat, or with two runs (a line through two "
        "points always has R² 1)"
    )
    irregular: bool = Field(description="the gaps between runs differ by more than 4x")


class TrendSeries(ReportModel):
    """One figure over the runs: ``values[i]`` belongs to ``runs[i]`` (None: not known then)."""

    name: str = Field(
        description="wal_p50_bytes_per_s, wal_p95_bytes_per_s, retained_wal_bytes, "
        "table_total_bytes, table_bytes, snapshot_retained_wal_bytes, snapshot_seconds, findings"
    )
    label: str
    subject: str | None = Field(
        default=None, description="the slot, the table, or the severity of a findings count"
    )
    unit: Unit
    group: Group = Field(description="the chart the series is drawn in")
    values: list[float | None]
    fit: Fit | None = None
    no_fit: str | None = Field(default=None, description="why there is no fit")


class Extrapolation(ReportModel):
    """Where a fitted series meets a limit, or where it will be after a horizon."""

    kind: Literal["limit", "horizon"]
    series: str = Field(description="the TrendSeries name")
    subject: str | None = None
    limit: str = Field(description="max_slot_wal_keep_size, free disk, or the horizon")
    limit_value: float | None = Field(description="the limit in the series' unit; None: horizon")
    current: float = Field(description="the series' value in this run")
    weeks: float | None = Field(
        description="weeks until the limit at the fitted growth; 0: already there; None: "
        "not growing"
    )
    weeks_low: float | None = Field(description="at the slope plus one standard error")
    weeks_high: float | None = Field(
        description="at the slope minus one standard error; None: that slope does not grow"
    )
    projected: float | None = Field(
        default=None, description="horizon only: the fitted value at the horizon"
    )
    text: str = Field(description="the sentence the report prints, with its fit")


class Trends(ReportModel):
    """The runs, each followed figure with its fit, and the extrapolations that matter."""

    since: datetime = Field(description="the first run of the trend")
    runs: list[TrendRun]
    simulated: str | None = Field(
        default=None, description="set when the runs' dates are simulated: says how"
    )
    notes: list[str] = Field(
        default_factory=list, description="too few runs, runs too close or too irregular"
    )
    series: list[TrendSeries]
    extrapolations: list[Extrapolation] = Field(default_factory=list)
