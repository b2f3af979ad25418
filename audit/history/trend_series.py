"""The ``trends`` block: a target's runs as a time series, fitted and extrapolated.

Every figure comes from :mod:`audit.history.metrics` (the same reading of report.json the diff
uses, one truth); this module puts them in a pandas frame indexed by run time, fits a line to
each followed series (:mod:`audit.history.fit`) and extrapolates where a limit is known:

- the WAL a snapshot holds against ``max_slot_wal_keep_size`` (the slot is invalidated before
  the snapshot ends once it is crossed);
- the WAL each replication slot retains against ``max_slot_wal_keep_size``, else free disk;
- the tables' total size against free disk, when known;
- the snapshot's duration after :data:`HORIZON_WEEKS`.

pandas and numpy are imported by this module, which is only imported when a history holds an
earlier run of the target: an ``analyze`` without history does not pay for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from audit.history.fit import FitError, LinearFit, fit_line, weeks_to_reach
from audit.history.metrics import (
    Figure,
    figures,
    finding_counts,
    slot_limits,
    table_sizes,
    wal_percentiles,
)
from audit.history.render import fmt_figure
from audit.history.store import utc
from audit.history.trend_text import fit_text, range_text, weeks_text
from audit.history.trends import Extrapolation, Fit, Group, TrendRun, Trends, TrendSeries
from audit.report.base import rounded
from audit.units import significant

#: Runs of a trend at most: the latest year of weekly runs.
MAX_RUNS = 52
#: Largest tables followed (by size in this run).
TOP_TABLES = 4
#: Weeks ahead a horizon extrapolation looks (a quarter).
HORIZON_WEEKS = 13
LIMIT_NAMES = {"max_slot_wal_keep_size": "max_slot_wal_keep_size", "disk": "free disk"}

Document = Mapping[str, Any]
Key = tuple[str, str | None]


@dataclass(frozen=True)
class Observation:
    """What a trend needs of one run's report.json (the document itself is not kept)."""

    run: TrendRun
    figures: dict[Key, Figure]
    tables: list[str]
    limits: dict[str, float]


def observe(doc: Document, *, run_at: datetime, source: str, simulated: bool) -> Observation:
    """The followed figures of one report.json document, dated ``run_at``."""
    found = [*figures(doc), *wal_percentiles(doc), *table_sizes(doc), *finding_counts(doc)]
    return Observation(
        run=TrendRun(
            run_at=utc(run_at),
            report_id=str(doc.get("report_id", "")),
            source=source,
            simulated=simulated,
        ),
        figures={(f.name, f.subject): f for f in found},
        tables=[f.subject for f in table_sizes(doc) if f.subject is not None],
        limits=slot_limits(doc),
    )


def _column(key: Key) -> str:
    return f"{key[0]}|{key[1] or ''}"


def _frame(observations: Sequence[Observation]) -> pd.DataFrame:
    """One row per run (indexed by run time), one column per figure."""
    records = [
        {"run_at": o.run.run_at, **{_column(k): f.value for k, f in o.figures.items()}}
        for o in observations
    ]
    return pd.DataFrame.from_records(records).set_index("run_at")


def _followed(observations: Sequence[Observation]) -> list[tuple[Key, Group]]:
    """The series of the trend in report order: WAL rate, slots, tables, snapshot, findings."""
    current = observations[-1]
    slots: list[str] = []
    for o in reversed(observations):  # this run's slots first, then slots since dropped
        slots += [s for (n, s) in o.figures if n == "retained_wal_bytes" and s and s not in slots]
    keys: list[tuple[Key, Group]] = [
        (("wal_p50_bytes_per_s", None), "wal_rate"),
        (("wal_p95_bytes_per_s", None), "wal_rate"),
    ]
    keys += [(("retained_wal_bytes", s), "slots") for s in slots]
    keys.append((("table_bytes", None), "tables"))
    keys += [(("table_total_bytes", t), "tables") for t in current.tables[:TOP_TABLES]]
    keys += [
        (("snapshot_retained_wal_bytes", None), "snapshot_wal"),
        (("snapshot_seconds", None), "snapshot_time"),
    ]
    keys += [(("findings", s), "findings") for (n, s) in current.figures if n == "findings"]
    return keys


def _label(observations: Sequence[Observation], key: Key) -> Figure:
    for o in reversed(observations):
        if key in o.figures:
            return o.figures[key]
    raise KeyError(key)


def _fit(weeks: pd.Series, values: pd.Series) -> tuple[LinearFit | None, str | None]:
    known = values.dropna()
    if known.empty:
        return None, "not known in any run"
    try:
        return fit_line(list(weeks[known.index]), list(known)), None
    except FitError as exc:
        return None, str(exc)


def _fit_model(fit: LinearFit) -> Fit:
    return Fit(
        runs=fit.runs,
        span_days=rounded(fit.span_weeks * 7, 4),
        slope_per_week=rounded(fit.slope),
        slope_stderr=rounded(fit.slope_stderr) if fit.slope_stderr is not None else None,
        r_squared=rounded(fit.r_squared, 4) if fit.r_squared is not None else None,
        irregular=fit.irregular,
    )


@dataclass(frozen=True)
class _Followed:
    series: TrendSeries
    fit: LinearFit | None
    current: float | None


def _limit(
    item: _Followed, what: str, limit_name: str, limit: float, *, consumes: bool, consequence: str
) -> Extrapolation | None:
    """``what`` (a series with a fit) against a limit. ``consumes``: the limit is room the
    growth uses up (free disk), so the distance is the whole limit, not limit - current."""
    s, fit, current = item.series, item.fit, item.current
    if fit is None or s.fit is None or current is None:
        return None
    name = LIMIT_NAMES[limit_name]
    unit = s.unit
    start = 0.0 if consumes else current
    expected, low, high = weeks_to_reach(fit, start, limit)
    now = f"{fmt_figure(current, unit)} now"
    fitted = f"Fit: {fit_text(s.fit, unit)}."
    limit_text = f"{name} ({fmt_figure(limit, unit)})"
    if expected == 0.0:
        text = f"{what} ({fmt_figure(current, unit)}) is already beyond {limit_text}. {fitted}"
    elif expected is None:
        text = (
            f"{what} ({now}) is not growing: at this trend it does not reach {limit_text}. {fitted}"
        )
    else:
        verb = "fills" if consumes else "reaches"
        text = (
            f"At this growth {what} ({now}) {verb} {limit_text} in {weeks_text(expected)}"
            f"{range_text(low, high)}{consequence}. {fitted}"
        )
    return Extrapolation(
        kind="limit",
        series=s.name,
        subject=s.subject,
        limit=name,
        limit_value=limit,
        current=current,
        weeks=rounded(expected, 4) if expected is not None else None,
        weeks_low=rounded(low, 4) if low is not None else None,
        weeks_high=rounded(high, 4) if high is not None else None,
        text=text,
    )


def _horizon(item: _Followed, what: str) -> Extrapolation | None:
    s, fit, current = item.series, item.fit, item.current
    if fit is None or s.fit is None or current is None or fit.slope <= 0:
        return None
    ahead = current + fit.slope * HORIZON_WEEKS
    spread = ""
    if fit.slope_stderr is not None:
        low = current + (fit.slope - fit.slope_stderr) * HORIZON_WEEKS
        high = current + (fit.slope + fit.slope_stderr) * HORIZON_WEEKS
        spread = (
            f" ({fmt_figure(max(low, current), s.unit)} to {fmt_figure(high, s.unit)} at the "
            "slope ± one standard error)"
        )
    text = (
        f"At this growth {what} ({fmt_figure(current, s.unit)} now) is about "
        f"{fmt_figure(ahead, s.unit)} in {HORIZON_WEEKS} weeks{spread}. "
        f"Fit: {fit_text(s.fit, s.unit)}."
    )
    return Extrapolation(
        kind="horizon",
        series=s.name,
        subject=s.subject,
        limit=f"{HORIZON_WEEKS} weeks",
        limit_value=None,
        current=current,
        weeks=float(HORIZON_WEEKS),
        weeks_low=None,
        weeks_high=None,
        projected=rounded(ahead),
        text=text,
    )


def _extrapolations(
    followed: dict[Key, _Followed], limits: dict[str, float]
) -> list[Extrapolation]:
    out: list[Extrapolation | None] = []
    keep = limits.get("max_slot_wal_keep_size")
    disk = limits.get("disk")
    snapshot = followed.get(("snapshot_retained_wal_bytes", None))
    if snapshot is not None and keep is not None:
        out.append(
            _limit(
                snapshot,
                "the WAL a slot holds during the initial snapshot",
                "max_slot_wal_keep_size",
                keep,
                consumes=False,
                consequence=": the snapshot would then outlive its slot (invalidated before "
                "the snapshot ends)",
            )
        )
    for (name, subject), item in followed.items():
        if name != "retained_wal_bytes" or item.fit is None or item.fit.slope <= 0:
            continue
        what = f"the WAL slot {subject} retains"
        if keep is not None:
            out.append(
                _limit(
                    item,
                    what,
                    "max_slot_wal_keep_size",
                    keep,
                    consumes=False,
                    consequence=": the slot is then invalidated",
                )
            )
        elif disk is not None:
            out.append(
                _limit(item, what, "disk", disk, consumes=True, consequence=": the disk is full")
            )
    tables = followed.get(("table_bytes", None))
    if tables is not None and disk is not None and tables.fit is not None and tables.fit.slope > 0:
        out.append(
            _limit(
                tables,
                "the tables' growth",
                "disk",
                disk,
                consumes=True,
                consequence=" (WAL and other files not counted)",
            )
        )
    duration = followed.get(("snapshot_seconds", None))
    if duration is not None:
        out.append(_horizon(duration, "the initial snapshot's duration"))
    return [e for e in out if e is not None]


def _notes(frame: pd.DataFrame, weeks: pd.Series, runs: int) -> list[str]:
    notes = []
    if runs == 2:
        notes.append(
            "Two runs: every line goes through both points, so its uncertainty cannot be "
            "estimated; a third run gives a standard error."
        )
    span_days = float(weeks.iloc[-1]) * 7
    gaps = [float(g) * 7 for g in weeks.diff().dropna()]
    if span_days < 1:
        notes.append(
            f"The runs span {span_days * 24:.1f} h: too close together for weekly trends; the "
            "values are shown, no line is fitted."
        )
    elif runs > 2 and min(gaps) > 0 and max(gaps) / min(gaps) > 4:
        notes.append(
            f"The runs are irregularly spaced (gaps from {significant(min(gaps))} to "
            f"{significant(max(gaps))} days): each run weighs the same in the fit, so a run far "
            "from the others decides much of the slope."
        )
    elif runs > 2 and min(gaps) == 0:
        notes.append("Some runs share a time: read the slopes with care.")
    return notes


def build_trends(observations: Sequence[Observation], simulated: str | None = None) -> Trends:
    """The trend over ``observations`` (any order; the latest is this run)."""
    ordered = sorted(observations, key=lambda o: o.run.run_at)[-MAX_RUNS:]
    if len(ordered) < 2:
        raise ValueError("a trend needs two runs")
    frame = _frame(ordered)
    weeks = pd.Series(
        (frame.index - frame.index[0]) / pd.Timedelta(weeks=1), index=frame.index, dtype=float
    )
    followed: dict[Key, _Followed] = {}
    for key, group in _followed(ordered):
        column = frame[_column(key)] if _column(key) in frame else pd.Series(dtype=float)
        column = column.reindex(frame.index).astype(float)
        fit, why = _fit(weeks, column)
        figure = _label(ordered, key)
        values = [None if math.isnan(v) else rounded(float(v)) for v in column]
        series = TrendSeries(
            name=key[0],
            label=figure.label,
            subject=key[1],
            unit=figure.unit,
            group=group,
            values=values,
            fit=_fit_model(fit) if fit is not None else None,
            no_fit=why,
        )
        followed[key] = _Followed(series, fit, values[-1])
    return Trends(
        since=ordered[0].run.run_at,
        runs=[o.run for o in ordered],
        simulated=simulated,
        notes=_notes(frame, weeks, len(ordered)),
        series=[f.series for f in followed.values()],
        extrapolations=_extrapolations(followed, ordered[-1].limits),
    )
