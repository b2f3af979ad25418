"""The "Trends since" section as the report shows it: charts over the runs, the numbers behind
them, each series' fit and the extrapolations, from the typed ``report.trends``
(:mod:`audit.history.trends`).

The charts are :func:`audit.report.charts.line_chart` figures in the capacity plan's style: the
x axis is weeks since the first run of the trend, every run is a marked point, and a limit
(``max_slot_wal_keep_size``) is a labelled reference line when it is within reach of the
values (else a note says how far above it is, rather than flattening the lines).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.history.render import fmt_figure
from audit.history.trend_text import fit_text
from audit.history.trends import Group, Trends, TrendSeries
from audit.report.capacity import Figure
from audit.report.charts import (
    BLUE,
    INK,
    VERMILION,
    Reference,
    Scale,
    Trace,
    byte_scale,
    line_chart,
    shorten,
    time_scale,
)
from audit.report.environment import when

#: Lines per chart; the table under each chart has every series of the group.
MAX_LINES = 4
#: Characters of a line's legend label (four labels fit the chart's width).
LABEL_CHARS = 18
#: A limit more than this many times the largest value is noted, not drawn.
LIMIT_REACH = 4.0
#: Okabe-Ito colours with a dash pattern each: no series is told apart by colour alone.
STYLES: tuple[tuple[str, str | None], ...] = (
    (BLUE, None),
    (VERMILION, "7 4"),
    ("#009E73", "2 3"),
    ("#CC79A7", "10 3 2 3"),
    ("#E69F00", "4 2"),
)
TITLES: dict[Group, str] = {
    "wal_rate": "WAL rate over the runs (p50 and p95 of each sampling window)",
    "slots": "WAL retained per replication slot",
    "tables": "Size of the largest tables (heap, TOAST, indexes)",
    "snapshot_wal": "WAL a slot holds during the initial snapshot (expected)",
    "snapshot_time": "Initial snapshot duration (expected)",
    "findings": "Unwaived findings per severity",
}


@dataclass(frozen=True)
class FitRow:
    figure: str
    subject: str | None
    first: str
    now: str
    fit: str


@dataclass(frozen=True)
class RunRow:
    date: str
    source: str
    report_id: str
    simulated: bool


@dataclass(frozen=True)
class TrendsView:
    since: str
    runs: list[RunRow]
    simulated: str | None
    notes: list[str]
    figures: list[Figure] = field(default_factory=list)
    fits: list[FitRow] = field(default_factory=list)
    extrapolations: list[str] = field(default_factory=list)


def _weeks(trends: Trends) -> list[float]:
    first = trends.runs[0].run_at
    return [(r.run_at - first).total_seconds() / 604800 for r in trends.runs]


def _label(series: TrendSeries) -> str:
    if series.name == "findings":
        return series.subject or series.label
    if series.name in ("wal_p50_bytes_per_s", "wal_p95_bytes_per_s"):
        return series.label.removeprefix("WAL rate ")
    return series.subject or series.label


def _scale(series: list[TrendSeries], maximum: float) -> tuple[Scale, str]:
    unit = series[0].unit
    if unit == "bytes":
        scale = byte_scale(maximum)
        return scale, scale.unit
    if unit == "bytes/s":
        scale = byte_scale(maximum)
        return scale, f"{scale.unit}/s"
    if unit == "seconds":
        scale = time_scale(maximum)
        return scale, scale.unit
    return Scale("", 1.0), "count"


def _limit_reference(
    trends: Trends, group: Group, maximum: float
) -> tuple[list[Reference], list[str]]:
    """The max_slot_wal_keep_size line of the slot and snapshot charts, or a note."""
    if group not in ("slots", "snapshot_wal"):
        return [], []
    limits = {e.limit_value for e in trends.extrapolations if e.limit == "max_slot_wal_keep_size"}
    limit = next(iter(v for v in limits if v is not None), None)
    if limit is None:
        return [], []
    text = f"max_slot_wal_keep_size {fmt_figure(limit, 'bytes')}"
    if maximum > 0 and limit > LIMIT_REACH * maximum:
        return [], [f"{text}: above the chart ({limit / maximum:,.0f}x the largest value)"]
    return [Reference(limit, text, INK, "7 4")], []


def _chart_figure(trends: Trends, group: Group, series: list[TrendSeries]) -> Figure | None:
    drawn = [s for s in series if any(v is not None for v in s.values)]
    if group == "findings":
        drawn = [s for s in drawn if any(v for v in s.values)]
    if group == "tables":
        drawn = [s for s in drawn if s.name == "table_total_bytes"]
    if not drawn:
        return None
    drawn = drawn[:MAX_LINES]
    weeks = _weeks(trends)
    maximum = max(v for s in drawn for v in s.values if v is not None)
    scale, unit = _scale(drawn, maximum)
    references, notes = _limit_reference(trends, group, maximum)
    traces = [
        Trace(
            [(w, v) for w, v in zip(weeks, s.values, strict=True) if v is not None],
            colour,
            dash,
            shorten(_label(s), max(LABEL_CHARS, 90 // len(drawn) - 6)),
        )
        for s, (colour, dash) in zip(drawn, STYLES, strict=False)
    ]
    x_scale = Scale("weeks", 1.0)
    title = TITLES[group]
    chart = line_chart(
        f"chart-trend-{group.replace('_', '-')}",
        title,
        f"{title}: {len(drawn)} series over {len(trends.runs)} runs since {when(trends.since)}",
        traces,
        x_scale=x_scale,
        y_scale=scale,
        x_label=f"weeks since {when(trends.since)}",
        y_label=f"{_axis(group)} ({unit})",
        references=references,
        notes=notes,
        height=210.0,
        markers=True,
    )
    head = ["Run", *(_label(s) for s in series)]
    rows = [
        [_run_date(trends, i), *(fmt_figure(s.values[i], s.unit) for s in series)]
        for i in range(len(trends.runs))
    ]
    fits = [f"{_label(s)}: {fit_text(s.fit, s.unit)}" for s in drawn if s.fit is not None]
    lead = "; ".join(fits) if fits else "No line fitted: " + (drawn[0].no_fit or "")
    return Figure(f"trend-{group.replace('_', '-')}", title, lead + ".", chart, head, rows)


def _axis(group: Group) -> str:
    return {
        "wal_rate": "WAL rate",
        "slots": "retained WAL",
        "tables": "size",
        "snapshot_wal": "WAL held",
        "snapshot_time": "duration",
        "findings": "findings",
    }[group]


def _run_date(trends: Trends, index: int) -> str:
    run = trends.runs[index]
    mark = " (simulated date)" if run.simulated else ""
    return f"{when(run.run_at)}{mark}"


def _fit_row(series: TrendSeries) -> FitRow:
    first = fmt_figure(series.values[0], series.unit)
    findings = series.name == "findings"
    return FitRow(
        figure=f"{(series.subject or '').capitalize()} findings" if findings else series.label,
        subject=None if findings else series.subject,
        first=first,
        now=fmt_figure(series.values[-1], series.unit),
        fit=fit_text(series.fit, series.unit) if series.fit else (series.no_fit or "no fit"),
    )


def build_trends_view(trends: Trends | None) -> TrendsView | None:
    if trends is None:
        return None
    groups: dict[Group, list[TrendSeries]] = {}
    for s in trends.series:
        groups.setdefault(s.group, []).append(s)
    figures = [f for g, ss in groups.items() if (f := _chart_figure(trends, g, ss)) is not None]
    return TrendsView(
        since=when(trends.since),
        runs=[
            RunRow(_run_date(trends, i), r.source, r.report_id, r.simulated)
            for i, r in enumerate(trends.runs)
        ],
        simulated=trends.simulated,
        notes=trends.notes,
        figures=figures,
        fits=[_fit_row(s) for s in trends.series],
        extrapolations=[e.text for e in trends.extrapolations],
    )


__all__ = ["TrendsView", "build_trends_view"]
