"""Per-interval rates over the sampling window, for the capacity charts.

The estimates summarise the window (p50, p95, mean); the chart of the WAL rate needs each
interval. This module rebuilds them from ``facts.sampling`` with the same method order as
``audit.estimate.rate``: WAL positions, then ``pg_stat_wal`` bytes, then CloudWatch
``TransactionLogsGeneration``; and, as a second series, rows changed per second (the only
rate Aurora can show before logical replication is on).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from pydantic import Field

from audit.facts import Facts, WalSample
from audit.facts.lsn import parse_lsn
from audit.report.base import ReportModel, rounded


class RatePoint(ReportModel):
    """The mean rate over one interval, placed at the interval's end."""

    at: datetime
    seconds: float
    value: float


class RateSeries(ReportModel):
    quantity: str
    method: str
    source: str
    unit: str
    interval_seconds: float | None
    points: list[RatePoint]


class SampleWindow(ReportModel):
    """When the rates were measured: the basis of every per-second figure in the report."""

    source: str = Field(description="sampling (this run's samples) | cloudwatch")
    started_at: datetime
    ended_at: datetime
    seconds: float
    intervals: int


class Series(ReportModel):
    """What the capacity charts draw that the estimates do not keep."""

    wal_rate: RateSeries | None = None
    row_changes: RateSeries | None = None
    window: SampleWindow | None = Field(
        default=None, description="the window the rates were measured over"
    )


def _lsn(text: str | None) -> int | None:
    if not text or "/" not in text:
        return None
    try:
        return parse_lsn(text)
    except ValueError:
        return None


def _row_changes(sample: WalSample) -> int | None:
    parts = (sample.tup_inserted, sample.tup_updated, sample.tup_deleted)
    if any(p is None for p in parts):
        return None
    return sum(p or 0 for p in parts)


def _rates(
    samples: Sequence[WalSample], value: Callable[[WalSample], int | None], start: datetime
) -> list[RatePoint]:
    usable = [(s.at, v) for s in samples if (v := value(s)) is not None]
    points: list[RatePoint] = []
    for (at0, v0), (at1, v1) in itertools.pairwise(usable):
        seconds = (at1 - at0).total_seconds()
        if seconds <= 0 or v1 < v0:
            continue
        points.append(
            RatePoint(
                at=at1,
                seconds=rounded((at1 - start).total_seconds()),
                value=rounded((v1 - v0) / seconds),
            )
        )
    return points


def build_series(facts: Facts) -> Series:
    """The per-interval WAL rate and row-change rate of the sampling window (or CloudWatch)."""
    sampling = facts.sampling
    wal: RateSeries | None = None
    rows: RateSeries | None = None
    if sampling is not None and sampling.samples:
        start = sampling.samples[0].at
        interval = rounded(sampling.interval_seconds)
        for method, source, getter in (
            ("lsn", "pg_current_wal_lsn() deltas between samples", lambda s: _lsn(s.lsn)),
            ("pg_stat_wal", "pg_stat_wal.wal_bytes deltas between samples", _wal_bytes),
        ):
            points = _rates(sampling.samples, getter, start)
            if points:
                wal = RateSeries(
                    quantity="WAL written",
                    method=method,
                    source=source,
                    unit="B/s",
                    interval_seconds=interval,
                    points=points,
                )
                break
        changes = _rates(sampling.samples, _row_changes, start)
        if changes:
            rows = RateSeries(
                quantity="rows changed",
                method="row_changes",
                source="pg_stat_database tup_inserted + tup_updated + tup_deleted deltas",
                unit="rows/s",
                interval_seconds=interval,
                points=changes,
            )
    window = _sampling_window(facts, wal or rows)
    if wal is None:
        wal = _cloudwatch(facts)
        if wal is not None:
            window = _cloudwatch_window(wal)
    return Series(wal_rate=wal, row_changes=rows, window=window)


def _sampling_window(facts: Facts, series: RateSeries | None) -> SampleWindow | None:
    sampling = facts.sampling
    if sampling is None or series is None:
        return None
    return SampleWindow(
        source="sampling",
        started_at=sampling.started_at,
        ended_at=sampling.ended_at,
        seconds=rounded((sampling.ended_at - sampling.started_at).total_seconds()),
        intervals=len(series.points),
    )


def _cloudwatch_window(series: RateSeries) -> SampleWindow:
    """CloudWatch points are stamped at the start of their period."""
    period = timedelta(seconds=series.interval_seconds or 0)
    return SampleWindow(
        source="cloudwatch",
        started_at=series.points[0].at,
        ended_at=series.points[-1].at + period,
        seconds=series.points[-1].seconds,
        intervals=len(series.points),
    )


def _wal_bytes(sample: WalSample) -> int | None:
    return sample.wal_bytes


def _cloudwatch(facts: Facts) -> RateSeries | None:
    series = facts.aws.series("TransactionLogsGeneration") if facts.aws else None
    if series is None or not series.points:
        return None
    start = series.points[0][0]
    period = float(series.period_seconds)
    # a CloudWatch point is stamped at the start of its period; the chart places it at the end
    return RateSeries(
        quantity="WAL written",
        method="cloudwatch",
        source=f"CloudWatch TransactionLogsGeneration ({series.statistic} per "
        f"{series.period_seconds} s)",
        unit="B/s",
        interval_seconds=period,
        points=[
            RatePoint(
                at=at, seconds=rounded((at - start).total_seconds() + period), value=rounded(v)
            )
            for at, v in series.points
        ],
    )
