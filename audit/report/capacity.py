"""The capacity plan as the report shows it: headline figures, charts and their workings.

Reads the typed ``report.estimates`` (:mod:`audit.estimate.model`) and ``report.series``. An
unavailable figure shows as "unavailable" with its reason, never as a made-up number; a
renamed field is a type error here, not a figure that silently disappears.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from audit.estimate.model import (
    ConnectorSetting,
    Estimate,
    Estimates,
    Runway,
    SettingRecommendation,
    Snapshot,
    WalRate,
    WindowComparison,
)
from audit.estimate.result import Range
from audit.report.charts import (
    BLUE,
    INK,
    MUTED,
    VERMILION,
    BarChart,
    BarRow,
    LineChart,
    Reference,
    Scale,
    Trace,
    bar_chart,
    byte_scale,
    line_chart,
    time_scale,
)
from audit.report.series import RateSeries, Series
from audit.units import (
    fmt_bytes,
    fmt_hours,
    fmt_per_second,
    fmt_rate,
    fmt_seconds,
    fmt_share,
    significant,
)

#: Bars per chart: the rest of the tables are in tables.csv.
TOP_TABLES = 10
#: Points drawn in the WAL rate chart; a longer window is averaged into this many buckets.
MAX_POINTS = 720
#: Rows of a chart's data table (its text equivalent) in the HTML.
MAX_TABLE_POINTS = 60

RATE_METHODS = {
    "lsn": "pg_current_wal_lsn() deltas",
    "pg_stat_wal": "pg_stat_wal.wal_bytes deltas",
    "cloudwatch": "CloudWatch TransactionLogsGeneration",
    "row_changes": "modelled from row changes and checkpoints, not measured "
    "(no WAL position readable)",
}

LIMIT_LABELS = {"max_slot_wal_keep_size": "max_slot_wal_keep_size", "disk": "free disk"}

COMPONENT_LABELS = {
    "same_page_updates": "same-page updates keep the whole new row",
    "updates_whole_tuple": "updates keep the whole new row",
    "imaged_tuples": "new rows kept beside full-page images",
    "delete_keys": "old keys of deletes",
    "full_old_rows": "old rows under REPLICA IDENTITY FULL",
    "commits": "commit records",
    "catalog_new_cid": "catalog changes (NEW_CID)",
    "catalog_invalidations": "cache invalidations",
}


@dataclass(frozen=True)
class Headline:
    """One headline figure: a value, its range or context, and how it was made."""

    key: str
    label: str
    value: str
    detail: str
    method: str
    available: bool = True
    tone: str = ""


@dataclass(frozen=True)
class Workings:
    """Method, inputs and assumptions of an estimate, printed beside its figure."""

    method: str
    inputs: list[tuple[str, str]]
    assumptions: list[str]


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    lead: str
    chart: BarChart | LineChart | None = None
    head: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    workings: list[Workings] = field(default_factory=list)
    unavailable: str | None = None
    more: str | None = None
    print_table: bool = True
    same_workings_as: int | None = None


@dataclass(frozen=True)
class Recommendation:
    """One row of the recommended-settings table, rendered from one recommendation object."""

    setting: str
    current: str
    value: str
    parameter_group: str
    restart: str
    note: str
    method: str


@dataclass(frozen=True)
class Capacity:
    estimated: bool
    profile: str | None
    headlines: list[Headline]
    figures: list[Figure]
    recommendations: list[Recommendation]
    figures_text: list[tuple[str, str]]


# -- reading estimates -----------------------------------------------------------------------


def _reason(node: Estimate, what: str) -> str:
    return node.reason or f"{what} is unavailable"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _band_of(value: Any) -> Range | None:
    """An inputs entry written as ``{low, expected, high}``, as a Range."""
    if not isinstance(value, Mapping) or set(value) != {"low", "expected", "high"}:
        return None
    parts = [_number(value.get(k)) for k in ("low", "expected", "high")]
    if parts[0] is None or parts[1] is None or parts[2] is None:
        return None
    if not parts[0] <= parts[1] <= parts[2]:
        return None
    return Range(parts[0], parts[1], parts[2])


def brief(reason: str) -> str:
    """The first clause of a reason, for a tile on the cover (the full text is in the section)."""
    for mark in (": ", " ("):
        cut = reason.find(mark)
        if cut > 12:
            reason = reason[:cut]
    return reason


def _range_text(b: Range, fmt: Callable[[float], str]) -> str:
    return f"{fmt(b.low)} – {fmt(b.high)}"


def _text(value: Any) -> str:
    if isinstance(value, float):
        return significant(value) if math.isfinite(value) else str(value)
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) if value else "none"
    if value is None:
        return "null"
    return str(value)


def flatten(inputs: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``inputs`` as (path, value) pairs; a ``{low, expected, high}`` mapping reads
    ``expected (low - high)``."""
    if not isinstance(inputs, Mapping):
        return [(prefix or "value", _text(inputs))] if inputs not in (None, {}) else []
    out: list[tuple[str, str]] = []
    for key, value in inputs.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        b = _band_of(value)
        if b is not None:
            out.append((name, f"{_text(b.expected)} ({_text(b.low)} – {_text(b.high)})"))
        elif isinstance(value, Mapping):
            out += flatten(value, name)
        else:
            out.append((name, _text(value)))
    return out


def workings(node: Estimate | None, method: str | None = None) -> list[Workings]:
    if node is None or not (node.assumptions or node.inputs):
        return []
    return [
        Workings(
            method=method or node.method or "not stated",
            inputs=flatten(node.inputs),
            assumptions=list(node.assumptions),
        )
    ]


# -- headline figures ------------------------------------------------------------------------


def _unavailable(key: str, label: str, reason: str, detail: str | None = None) -> Headline:
    return Headline(key, label, "unavailable", detail or brief(reason), reason, available=False)


def _wal_now(estimates: Estimates) -> Headline:
    node = estimates.wal.current_bytes_per_s
    p50, p95 = node.p50, node.p95
    mean = node.window_mean if node.window_mean is not None else node.mean
    if not node.ok or p50 is None or p95 is None or mean is None:
        return _unavailable("wal_now", "WAL now (mean)", _reason(node, "the WAL rate"))
    method = node.method or ""
    where = f", {node.intervals} intervals" if node.intervals else ""
    detail = f"workload p50 {fmt_rate(p50)}, p95 {fmt_rate(p95)}"
    if node.range is not None:  # modelled without WAL positions: the model's own range
        detail += f"; model {_range_text(node.range, fmt_rate)}"
    # The mean, not the median: the logical figure beside it is the mean plus the overhead.
    method_text = RATE_METHODS.get(method, method) + where
    return Headline("wal_now", "WAL now (mean)", fmt_rate(mean), detail, method_text)


def _wal_logical(estimates: Estimates) -> Headline:
    node = estimates.wal.logical_bytes_per_s
    b = node.band
    if not node.ok or b is None:
        return _unavailable("wal_logical", "WAL under logical", _reason(node, "the logical rate"))
    predictor = estimates.wal.predictor
    parts = []
    if node.p50 is not None and node.p95 is not None:
        parts.append(f"workload p50 {fmt_rate(node.p50)}, p95 {fmt_rate(node.p95)}")
    model = node.model or b
    parts.append(f"model {_range_text(model, fmt_rate)}")
    return Headline(
        "wal_logical",
        "WAL under logical",
        fmt_rate(b.expected),
        "; ".join(parts),
        f"{predictor} predictor on the measured rate" if predictor else str(node.method),
    )


def _overhead(estimates: Estimates) -> Headline:
    node = estimates.wal.logical_overhead_ratio
    b = node.band
    if not node.ok or b is None:
        return _unavailable("overhead", "Logical overhead", _reason(node, "the overhead"))
    return Headline(
        "overhead",
        "Logical overhead",
        f"+{fmt_share(b.expected)}",
        f"model {_range_text(b, fmt_share)} more WAL",
        "extra bytes per operation / WAL measured in the window",
    )


def _snapshot(estimates: Estimates) -> Headline:
    node = estimates.snapshot
    b = node.seconds
    if not node.ok or b is None:
        return _unavailable("snapshot", "Snapshot duration", _reason(node, "the snapshot"))
    parts = [node.mode or "snapshot"]
    if node.tables is not None:
        parts.append(f"{node.tables} tables")
    if node.heap_toast_bytes is not None:
        parts.append(f"{fmt_bytes(node.heap_toast_bytes)} heap + TOAST")
    if node.workers is not None:
        parts.append(f"{node.workers} worker{'s' if node.workers != 1 else ''}")
    return Headline(
        "snapshot",
        "Snapshot duration",
        fmt_seconds(b.expected),
        f"model {_range_text(b, fmt_seconds)}",
        ", ".join(parts),
    )


@dataclass(frozen=True)
class Limit:
    name: str
    label: str
    bytes: float | None
    reason: str


def slot_limit(runway: Runway) -> Limit:
    """The lower of max_slot_wal_keep_size and free disk, or why neither is known."""
    known = [
        (limit.limit_bytes, name)
        for name, limit in runway.limits.items()
        if limit.ok and limit.limit_bytes is not None
    ]
    if known:
        value, name = min(known)
        return Limit(name, LIMIT_LABELS.get(name, name), value, "")
    reasons = [brief(limit.reason) for limit in runway.limits.values() if limit.reason]
    return Limit("", "no limit", None, "; ".join(reasons) or "no slot or disk limit is known")


def _retained(estimates: Estimates) -> tuple[Headline, Range | None, Limit]:
    node = estimates.snapshot
    limit = slot_limit(estimates.runway)
    b = node.retained_wal_bytes
    if not node.ok or b is None:
        reason = (
            _reason(node, "the snapshot")
            if not node.ok
            else "no WAL rate: the WAL held during the snapshot is unknown"
        )
        return _unavailable("retained", "WAL held during snapshot", reason), None, limit
    span = f"workload and model {fmt_bytes(b.low)} – {fmt_bytes(b.high)}"
    tone = ""
    if limit.bytes is not None:
        against = f"limit {fmt_bytes(limit.bytes)} ({limit.label})"
        if b.expected > limit.bytes:
            tone = "bad"
        elif b.high > limit.bytes:
            tone = "warn"
    else:
        against = f"no limit: {limit.reason}"
    return (
        Headline(
            "retained",
            "WAL held during snapshot",
            fmt_bytes(b.expected),
            f"{span}; {against}",
            "logical WAL rate x (snapshot + catch-up)",
            tone=tone,
        ),
        b,
        limit,
    )


def _runway(estimates: Estimates) -> Headline:
    node = estimates.runway
    b = node.hours
    if not node.ok or b is None:
        if node.limits:
            known = slot_limit(node).reason
            return _unavailable(
                "runway", "Runway of a stalled slot", f"no limit is known: {known}", known
            )
        return _unavailable("runway", "Runway of a stalled slot", _reason(node, "the runway"))
    limit = LIMIT_LABELS.get(str(node.limit), str(node.limit))
    return Headline(
        "runway",
        "Runway of a stalled slot",
        fmt_hours(b.expected),
        f"workload and model {_range_text(b, fmt_hours)} until {limit} is reached",
        "limit / p95 logical WAL rate",
        tone="warn" if b.expected < 24 else "",
    )


# -- figures ---------------------------------------------------------------------------------


def _rate_method(node: WalRate) -> str | None:
    method = node.method
    return f"{method}: {RATE_METHODS[method]}" if method in RATE_METHODS else None


def _bucketed(series: RateSeries) -> list[tuple[float, float]]:
    points = [(p.seconds, p.value) for p in series.points]
    if len(points) <= MAX_POINTS:
        return points
    size = math.ceil(len(points) / MAX_POINTS)
    out = []
    for i in range(0, len(points), size):
        chunk = points[i : i + size]
        out.append((chunk[-1][0], sum(v for _, v in chunk) / len(chunk)))
    return out


def _rate_figure(estimates: Estimates, series: Series) -> Figure:
    current = estimates.wal.current_bytes_per_s
    logical = estimates.wal.logical_bytes_per_s.band
    data = series.wal_rate or series.row_changes
    title = "WAL rate over the sample window"
    if data is None or not data.points:
        return Figure(
            "wal-rate",
            title,
            "",
            unavailable="no per-interval rate was sampled: "
            + (_reason(current, "the WAL rate") if not current.ok else "one sample only"),
            workings=workings(current, _rate_method(current)),
        )
    is_wal = data.unit == "B/s"
    points = _bucketed(data)
    # a step line: each interval's mean rate, from the interval's start to its end
    first = max(data.points[0].seconds - (data.interval_seconds or 0.0), 0.0)
    # each interval's mean rate is held from the interval's start to its end
    starts = [first] + [x for x, _ in points[:-1]]
    trace = [(x, v) for x, (_, v) in zip(starts, points, strict=True)] + [points[-1]]
    values = [v for _, v in points]
    y_scale = byte_scale(max(values)) if is_wal else Scale("rows/s", 1.0)
    references: list[Reference] = []
    p50, p95 = current.p50, current.p95
    if is_wal and current.ok and p50 is not None and p95 is not None:
        references += [
            Reference(p50, f"p50 {fmt_rate(p50)}", MUTED, "2 3"),
            Reference(p95, f"p95 {fmt_rate(p95)}", INK, "7 4"),
        ]
        if logical is not None:
            references.append(
                Reference(
                    logical.expected,
                    f"under logical {fmt_rate(logical.expected)}",
                    VERMILION,
                    "10 3 2 3",
                )
            )
    window = points[-1][0]
    x_scale = time_scale(window)
    unit = f"{y_scale.unit}/s" if is_wal else "rows/s"
    chart = line_chart(
        "chart-wal-rate",
        title,
        f"{data.quantity} per second in each of {len(data.points)} intervals ({data.source})",
        [Trace(trace, BLUE, None, "", step=True)],
        x_scale=x_scale,
        y_scale=y_scale,
        x_label=f"time since sampling started ({x_scale.unit})",
        y_label=f"{data.quantity} ({unit})",
        references=references,
    )
    fmt = fmt_rate if is_wal else (lambda v: fmt_per_second(v, "rows"))
    peak = max(values)
    lead = (
        f"{len(data.points)} intervals over {fmt_seconds(data.points[-1].seconds - first)}: "
        f"{data.quantity} at {fmt(min(values))} to {fmt(peak)} per interval"
    )
    if is_wal and p50 is not None and p95 is not None:
        lead += f", p50 {fmt_rate(p50)}, p95 {fmt_rate(p95)}"
    if logical is not None and is_wal:
        lead += (
            f"; under wal_level=logical expect {fmt_rate(logical.expected)} "
            f"({_range_text(logical, fmt_rate)})"
        )
    if not is_wal:
        lead += "; the WAL position could not be read, so rows changed per second are shown"
    rows = [[f"{p.seconds:,.1f}", fmt(p.value)] for p in data.points[:MAX_TABLE_POINTS]]
    more = None
    if len(data.points) > MAX_TABLE_POINTS:
        more = f"{len(data.points) - MAX_TABLE_POINTS} more intervals are in report.json (series)"
    return Figure(
        "wal-rate",
        title,
        lead + ".",
        chart=chart,
        head=["Interval end (s)", f"{data.quantity} per second"],
        rows=rows,
        workings=workings(current, _rate_method(current)),
        more=more,
        print_table=False,
    )


def _logical_figure(estimates: Estimates) -> Figure:
    title = "WAL now and under wal_level=logical"
    current = estimates.wal.current_bytes_per_s
    node = estimates.wal.logical_bytes_per_s
    recommended = estimates.wal.recommended_identities
    logical = node.band
    mean = current.window_mean
    if not node.ok or logical is None or mean is None:
        return Figure(
            "wal-logical",
            title,
            "",
            unavailable=_reason(node, "the WAL under logical"),
            workings=workings(node),
        )
    now_range = current.range
    rows = [
        BarRow(
            "now (window mean)",
            mean,
            now_range.low if now_range else None,
            now_range.high if now_range else None,
            spread=_spread(current.p50, current.p95),
        ),
        _logical_row("logical, current identities", logical, node.model, node.p50, node.p95),
    ]
    rec = recommended.logical_bytes_per_s
    if recommended.ok and rec is not None:
        rows.append(
            _logical_row(
                "logical, recommended identities",
                rec,
                recommended.model,
                recommended.p50,
                recommended.p95,
            )
        )
    top = max(max(r.expected, r.high or 0.0, r.spread[1] if r.spread else 0.0) for r in rows)
    scale = byte_scale(top)
    chart = bar_chart(
        "chart-wal-logical",
        title,
        "WAL bytes per second now and predicted under wal_level=logical",
        rows,
        scale=scale,
        axis_label=(
            f"WAL rate ({scale.unit}/s); whiskers: model low – high; "
            "grey line under a bar: workload p50 – p95"
        ),
        value_text=fmt_rate,
    )
    ratio = estimates.wal.logical_overhead_ratio.band
    model = node.model or logical
    lead = (
        f"wal_level=logical would write {fmt_rate(logical.expected)} "
        f"(model {_range_text(model, fmt_rate)}"
    )
    if node.p50 is not None and node.p95 is not None:
        lead += f"; workload p50 {fmt_rate(node.p50)}, p95 {fmt_rate(node.p95)}"
    lead += ")"
    if ratio is not None:
        lead += (
            f", {fmt_share(ratio.expected)} more than now (model {_range_text(ratio, fmt_share)})"
        )
    changes = recommended.changes
    if recommended.ok and rec is not None and changes:
        lead += (
            f"; with the recommended replica identities ({len(changes)} table"
            f"{'s' if len(changes) != 1 else ''} changed) {fmt_rate(rec.expected)}"
        )
    table = [
        [COMPONENT_LABELS.get(key, key), fmt_rate(b.expected), _range_text(b, fmt_rate)]
        for key, b in node.components.items()
    ]
    return Figure(
        "wal-logical",
        title,
        lead + ".",
        chart=chart,
        head=["Extra WAL under logical", "Expected", "Model low – high"],
        rows=table,
        workings=workings(node),
    )


def _spread(p50: float | None, p95: float | None) -> tuple[float, float] | None:
    if p50 is None or p95 is None:
        return None
    return (min(p50, p95), max(p50, p95))


def _logical_row(
    label: str, envelope: Range, model: Range | None, p50: float | None, p95: float | None
) -> BarRow:
    """A logical-rate bar: the model's range as whisker, the workload's spread under it (a
    report.json from before the two were kept apart has only the envelope: it is the whisker)."""
    whisker = model or envelope
    return BarRow(label, envelope.expected, whisker.low, whisker.high, spread=_spread(p50, p95))


def _more(shown: int, total: int, listed_by: str) -> str | None:
    if total <= shown:
        return None
    return f"{total - shown} more {listed_by}: see tables.csv and report.json."


def _changes_figure(estimates: Estimates) -> Figure:
    title = "Top tables by change volume"
    node = estimates.change_stream
    rows = list(node.per_table)
    if not node.ok or not rows:
        reason = (
            _reason(node, "the change stream") if not node.ok else "no table changed in the window"
        )
        return Figure("tables-changes", title, "", unavailable=reason, workings=workings(node))
    rows.sort(key=lambda r: (-r.events_per_s, r.table))
    top = rows[:TOP_TABLES]
    bars = [BarRow(r.table, r.events_per_s) for r in top]
    chart = bar_chart(
        "chart-tables-changes",
        title,
        "rows inserted, updated and deleted per second, by table",
        bars,
        scale=Scale("rows/s", 1.0),
        axis_label="row changes per second (inserts + updates + deletes)",
        value_text=fmt_per_second,
    )
    size = node.bytes_per_s
    lead = f"{len(rows)} table{'s' if len(rows) != 1 else ''} changed during the window"
    if node.events_per_s is not None:
        lead += f", {fmt_per_second(node.events_per_s, 'change events')} in all"
    if size is not None:
        lead += f" ({fmt_rate(size.expected)} of pgoutput messages, {_range_text(size, fmt_rate)})"
    lead += f"; the busiest is {top[0].table}"
    if node.excluded:
        lead += (
            f"; {len(node.excluded)} unlogged or temporary table"
            f"{'s' if len(node.excluded) != 1 else ''} left out (no WAL, never captured)"
        )
    table = [
        [
            r.table,
            fmt_per_second(r.events_per_s),
            fmt_rate(r.bytes_per_s.expected) if r.bytes_per_s else "unknown",
        ]
        for r in top
    ]
    return Figure(
        "tables-changes",
        title,
        lead + ".",
        chart=chart,
        head=["Table", "Changes per second", "Change stream"],
        rows=table,
        workings=workings(node),
        more=_more(len(top), len(rows), "tables changed"),
    )


def _extra_figure(estimates: Estimates) -> Figure:
    title = "Top tables by extra WAL under logical"
    node = estimates.wal.logical_bytes_per_s
    rows = [(r, r.extra_bytes_per_s) for r in estimates.wal.per_table if r.extra_bytes_per_s]
    if not rows:
        reason = (
            _reason(node, "the WAL under logical")
            if not node.ok
            else "no table adds WAL under logical in the window"
        )
        return Figure("tables-extra-wal", title, "", unavailable=reason)
    rows.sort(key=lambda pair: (-pair[1].expected, pair[0].table))
    top = rows[:TOP_TABLES]
    bars = []
    table = []
    for r, b in top:
        bars.append(BarRow(r.table, b.expected, b.low, b.high))
        rec = r.extra_bytes_per_s_recommended
        identity = r.replica_identity or "?"
        target = r.recommended_identity or identity
        table.append(
            [
                r.table,
                identity if target == identity else f"{identity} → {target}",
                f"{fmt_rate(b.expected)} ({_range_text(b, fmt_rate)})",
                fmt_rate(rec.expected) if rec else "unknown",
            ]
        )
    scale = byte_scale(max(max(r.expected, r.high or 0.0) for r in bars))
    chart = bar_chart(
        "chart-tables-extra-wal",
        title,
        "extra WAL bytes per second each table would add under wal_level=logical",
        bars,
        scale=scale,
        axis_label=f"extra WAL ({scale.unit}/s); whiskers: model low – high",
        value_text=fmt_rate,
    )
    first, first_rate = top[0]
    lead = f"{first.table} adds the most WAL under logical: {fmt_rate(first_rate.expected)}"
    return Figure(
        "tables-extra-wal",
        title,
        lead + "; the last column is what it adds with the recommended replica identity"
        " (unlogged tables write no WAL and are not listed).",
        chart=chart,
        head=["Table", "Replica identity", "Extra WAL", "With recommended identity"],
        rows=table,
        workings=workings(node),
        more=_more(len(top), len(rows), "tables listed by the estimate"),
    )


def _snapshot_figure(estimates: Estimates) -> Figure:
    title = "Snapshot duration per table"
    node = estimates.snapshot
    rows = node.per_table
    if not node.ok or not rows:
        reason = _reason(node, "the snapshot") if not node.ok else "the estimate lists no table"
        return Figure("snapshot-tables", title, "", unavailable=reason, workings=workings(node))
    top = rows[:TOP_TABLES]
    bars = []
    table = []
    for r in top:
        b = r.seconds
        bars.append(BarRow(r.table, b.expected, b.low, b.high))
        table.append(
            [
                r.table,
                f"{r.rows:,.0f}",
                fmt_bytes(r.heap_toast_bytes),
                f"{fmt_seconds(b.expected)} ({_range_text(b, fmt_seconds)})",
            ]
        )
    maximum = max(max(b.expected, b.high or 0.0) for b in bars)
    scale = time_scale(maximum)
    chart = bar_chart(
        "chart-snapshot-tables",
        title,
        "time to copy each table in the initial snapshot",
        bars,
        scale=scale,
        axis_label=f"copy time ({scale.unit}); whiskers: model low – high",
        value_text=fmt_seconds,
    )
    lead = f"The {node.mode or 'snapshot'} snapshot takes "
    lead += (
        f"{fmt_seconds(node.seconds.expected)} ({_range_text(node.seconds, fmt_seconds)})"
        if node.seconds
        else "an unknown time"
    )
    for mode, alt in node.alternatives.items():
        lead += (
            f"; {mode} would take {fmt_seconds(alt.seconds.expected)} "
            f"({_range_text(alt.seconds, fmt_seconds)})"
        )
    return Figure(
        "snapshot-tables",
        title,
        lead + ".",
        chart=chart,
        head=["Table", "Rows", "Size read (heap + TOAST)", "Copy time"],
        rows=table,
        workings=workings(node),
        more=_more(len(top), node.tables or len(rows), "tables are copied"),
    )


def _retention_figure(estimates: Estimates) -> Figure:
    title = "WAL retained during the snapshot, against the limit"
    node: Snapshot = estimates.snapshot
    _, retained, limit = _retained(estimates)
    hold = node.hold_seconds
    rate = estimates.wal.logical_bytes_per_s.band
    if not node.ok or retained is None or hold is None or rate is None:
        reason = (
            _reason(node, "the snapshot")
            if not node.ok
            else "no logical WAL rate: the WAL held during the snapshot is unknown"
        )
        return Figure("retention", title, "", unavailable=reason, workings=workings(node))
    catch = node.catch_up_seconds or Range.exact(0.0)
    ends = {
        "low": hold.low + catch.low,
        "expected": hold.expected + catch.expected,
        "high": hold.high + catch.high,
    }
    finite = {k: v for k, v in ends.items() if math.isfinite(v)}
    x_max = max(finite.values(), default=1.0) or 1.0
    traces = []
    styles = {
        "high": (rate.high, INK, "7 4", "high"),
        "expected": (rate.expected, BLUE, None, "expected"),
        "low": (rate.low, MUTED, "2 3", "low"),
    }
    for key, (per_s, colour, dash, label) in styles.items():
        if key in finite:
            end = finite[key]
            traces.append(Trace([(0.0, 0.0), (end, per_s * end)], colour, dash, label))
    references = [
        Reference(
            hold.expected,
            f"snapshot ends ({fmt_seconds(hold.expected)})",
            MUTED,
            "1 3",
            vertical=True,
        )
    ]
    notes = []
    y_values = [per_s * finite[k] for k, (per_s, *_rest) in styles.items() if k in finite]
    if limit.bytes is not None:
        references.append(
            Reference(limit.bytes, f"{limit.label} {fmt_bytes(limit.bytes)}", VERMILION, "9 4")
        )
    else:
        notes.append(f"No limit line: {limit.reason}.")
    if "high" not in finite:
        notes.append("High end: the consumer never catches up (not drawn).")
    y_max = max([*y_values, limit.bytes or 0.0]) or 1.0
    x_scale = time_scale(x_max)
    y_scale = byte_scale(y_max)
    chart = line_chart(
        "chart-retention",
        title,
        "WAL held by the new slot from its creation to the end of the catch-up",
        traces,
        x_scale=x_scale,
        y_scale=y_scale,
        x_label=f"time since the slot was created ({x_scale.unit})",
        y_label=f"WAL retained ({y_scale.unit})",
        references=references,
        notes=notes,
        markers=True,
    )
    lead = (
        f"The slot holds {fmt_bytes(retained.expected)} of WAL at the end of the catch-up "
        f"({fmt_bytes(retained.low)} – "
        f"{fmt_bytes(retained.high) if math.isfinite(retained.high) else 'unbounded'})"
    )
    if limit.bytes is not None:
        share = retained.expected / limit.bytes if limit.bytes else math.inf
        lead += f", {fmt_share(share)} of {limit.label} ({fmt_bytes(limit.bytes)})"
        if retained.high > limit.bytes:
            lead += "; at the high end the slot would be invalidated or the disk fill"
    else:
        lead += f"; no limit applies ({limit.reason})"
    table = [
        [label, fmt_seconds(ends[key]), fmt_rate(per_s), fmt_bytes(per_s * ends[key])]
        for key, (per_s, _c, _d, label) in styles.items()
    ]
    return Figure(
        "retention",
        title,
        lead + ".",
        chart=chart,
        head=["Case", "Snapshot + catch-up", "Logical WAL rate", "WAL retained"],
        rows=table,
        workings=workings(estimates.runway),
    )


# -- recommendations and the rest ------------------------------------------------------------


def _server_setting(rec: SettingRecommendation) -> Recommendation:
    if not rec.ok:
        return Recommendation(
            rec.name, rec.current or "", "unavailable", "", "", rec.reason or "", ""
        )
    current = rec.current or "not collected"
    if rec.unit and rec.current not in (None, "-1", "0"):
        current = f"{rec.current} ({rec.unit})"
    notes = []
    if rec.needed is not None:
        notes.append(f"needs ≥ {rec.needed}")
    if rec.staged is not None:
        notes.append(f"staged {rec.staged}, not applied")
    if rec.aws_configured is not None:
        notes.append(f"parameter group has {rec.aws_configured}, not applied")
    if rec.change_needed is False:
        notes.append("already met")
    notes.append(rec.why)
    group = rec.parameter_group_value or ""
    if rec.parameter_group_name and rec.parameter_group_name != rec.name:
        group = f"{rec.parameter_group_name} = {group}"
    return Recommendation(
        setting=rec.name,
        current=current,
        value=rec.recommended or "",
        parameter_group=group,
        restart="restart" if rec.restart else "reload",
        note="; ".join(n for n in notes if n),
        method=rec.method or "",
    )


def _connector_setting(key: str, rec: ConnectorSetting) -> Recommendation | None:
    if not rec.ok:
        return Recommendation(key, "", "unavailable", "", "", rec.reason or "", "")
    if rec.setting is None or rec.value is None:
        return None  # not needed for this profile
    notes = []
    if rec.interval_seconds is not None:
        notes.append(fmt_seconds(rec.interval_seconds))
    if rec.default is not None:
        notes.append(f"default {rec.default}")
    return Recommendation(
        setting=rec.setting,
        current="",
        value=str(rec.value),
        parameter_group="connector setting",
        restart="connector restart",
        note=", ".join(notes),
        method=rec.method or "",
    )


def _recommendations(estimates: Estimates) -> list[Recommendation]:
    recs = estimates.recommendations
    out = [_server_setting(s) for s in recs.settings]
    for key, connector in (
        ("incremental_snapshot_chunk_size", recs.incremental_snapshot_chunk_size),
        ("heartbeat", recs.heartbeat),
    ):
        row = _connector_setting(key, connector)
        if row is not None:
            out.append(row)
    return out


def _other_figures(estimates: Estimates) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    stream = estimates.change_stream
    if stream.ok and stream.events_per_s is not None:
        text = fmt_per_second(stream.events_per_s, "events")
        if stream.bytes_per_s is not None:
            size = stream.bytes_per_s
            text += f", {fmt_rate(size.expected)} ({_range_text(size, fmt_rate)})"
        out.append(("Change stream to the consumer", text))
    decoding = estimates.decoding
    share = decoding.utilisation
    if decoding.ok and share is not None:
        out.append(
            (
                "One walsender's decoding capacity in use",
                f"{fmt_share(share.expected)} ({_range_text(share, fmt_share)})",
            )
        )
    else:
        out.append(
            (
                "One walsender's decoding capacity in use",
                "unavailable: " + _reason(decoding, "decoding"),
            )
        )
    if estimates.window is not None:
        out.append(("The window against the long-term load", _window_text(estimates.window)))
    return out


def _ratio_text(window: WindowComparison) -> str:
    signal = (window.deciding_signal or "").split(":")[0]
    return f"{window.ratio:.2f} x the long-term rate of {signal}"


def window_basis(estimates: Estimates | None) -> str | None:
    """A few words for the cover: is the window representative of the long-term load?"""
    window = estimates.window if estimates else None
    if window is None or not window.ok:
        return None
    if window.basis == "unknown":
        return "no long-term rate to compare it with"
    if window.basis == "spiky":
        return f"spiky: p95 {window.spread:.1f} x p50"
    return f"{_ratio_text(window)}: {window.basis}"


def _window_text(window: WindowComparison) -> str:
    if not window.ok:
        return "unavailable: " + (window.reason or "no reason")
    if window.basis == "unknown":
        reasons = "; ".join(f"{s.signal.split(':')[0]}: {s.reason}" for s in window.signals)
        return f"not compared ({reasons})"
    parts = [f"{window.basis}"]
    if window.ratio is not None:
        parts.append(_ratio_text(window))
    if window.spread is not None:
        parts.append(f"interval p95 {window.spread:.1f} x p50")
    return "; ".join(parts) + " (the plan uses the window's rate)"


def _dedupe(figures: list[Figure]) -> list[Figure]:
    """A figure whose workings repeat an earlier figure's points to it instead."""
    out: list[Figure] = []
    for figure in figures:
        earlier = next(
            (i for i, f in enumerate(out, 1) if figure.workings and f.workings == figure.workings),
            None,
        )
        out.append(
            figure if earlier is None else replace(figure, workings=[], same_workings_as=earlier)
        )
    return out


def build_capacity(estimates: Estimates | None, series: Series) -> Capacity:
    if estimates is None:
        return Capacity(False, None, [], [], [], [])
    retained, _, _ = _retained(estimates)
    return Capacity(
        estimated=True,
        profile=estimates.profile,
        headlines=[
            _wal_now(estimates),
            _wal_logical(estimates),
            _overhead(estimates),
            _snapshot(estimates),
            retained,
            _runway(estimates),
        ],
        figures=_dedupe(
            [
                _rate_figure(estimates, series),
                _logical_figure(estimates),
                _changes_figure(estimates),
                _extra_figure(estimates),
                _snapshot_figure(estimates),
                _retention_figure(estimates),
            ]
        ),
        recommendations=_recommendations(estimates),
        figures_text=_other_figures(estimates),
    )
