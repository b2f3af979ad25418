"""Trends of CloudWatch series over the look-back window: growing or not, hours until full.

A series is *growing* when its least-squares slope is positive, the fitted rise over the
window is at least :data:`MIN_RISE_BYTES`, and the last point is still near the peak
(:data:`NEAR_PEAK`), so a sawtooth that drains again is not called growth. Negative points
are dropped: Aurora reports ``TransactionLogsDiskUsage = -1`` while logical replication is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.facts.aws import AwsMetricSeries

MIN_POINTS = 3
MIN_RISE_BYTES = 128 * 1024**2  # eight 16 MiB WAL segments
NEAR_PEAK = 0.8


@dataclass(frozen=True)
class Trend:
    metric: str
    points: int
    first: float
    last: float
    peak: float
    span_hours: float
    slope_per_hour: float

    @property
    def rise(self) -> float:
        """The fitted change over the window (slope x span), in the series' unit."""
        return self.slope_per_hour * self.span_hours

    @property
    def is_growing(self) -> bool:
        return (
            self.slope_per_hour > 0
            and self.rise >= MIN_RISE_BYTES
            and self.last >= NEAR_PEAK * self.peak
        )

    def evidence(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "points": self.points,
            "window_hours": round(self.span_hours, 2),
            "first": self.first,
            "last": self.last,
            "peak": self.peak,
            "slope_per_hour": round(self.slope_per_hour, 1),
        }


def trend(series: AwsMetricSeries) -> Trend | None:
    """The trend of ``series``, or None with fewer than three usable points."""
    usable = sorted((t, v) for t, v in series.points if v >= 0)
    if len(usable) < MIN_POINTS:
        return None
    start = usable[0][0]
    xs = [(t - start).total_seconds() / 3600 for t, _ in usable]
    ys = [v for _, v in usable]
    span = xs[-1]
    if span <= 0:
        return None
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return Trend(
        metric=series.metric,
        points=len(usable),
        first=ys[0],
        last=ys[-1],
        peak=max(ys),
        span_hours=span,
        slope_per_hour=cov / var,
    )


def runway_hours(free_bytes: float, consumption_per_hour: float) -> float | None:
    """Hours until ``free_bytes`` are used at ``consumption_per_hour``; None if not consuming."""
    if consumption_per_hour <= 0:
        return None
    return max(free_bytes, 0.0) / consumption_per_hour
