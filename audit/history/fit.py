"""A straight line through a figure's values over the runs, and how far to trust it.

Ordinary least squares of value on time (weeks since the first run): the slope is the growth
per week. With three or more runs its standard error comes from the residuals,
``sqrt(SSR / (n - 2) / Sxx)``; with two runs the line passes through both points and nothing
is left to estimate the error from, which the report says instead of printing a zero. R² is
``1 - SSR / SST``; a flat series (SST = 0) and a two-run line (always 1) have none.

Irregular spacing does not bias least squares (the times are the x values), but runs bunched
together with one far away make that one run decide the slope: a series whose largest gap is
more than :data:`IRREGULAR_RATIO` times its smallest is flagged, and runs spanning less than
:data:`MIN_SPAN_DAYS` are not fitted at all (a weekly slope from runs minutes apart is noise
scaled up).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Runs spanning less than this are too close together for a weekly slope.
MIN_SPAN_DAYS = 1.0
#: Largest gap / smallest gap between runs above which the spacing is called irregular.
IRREGULAR_RATIO = 4.0


class FitError(ValueError):
    """The values cannot be fitted; the message says why, for the report."""


@dataclass(frozen=True)
class LinearFit:
    runs: int
    slope: float
    intercept: float
    slope_stderr: float | None
    r_squared: float | None
    span_weeks: float
    irregular: bool

    def at(self, weeks: float) -> float:
        """The fitted value ``weeks`` after the first run."""
        return self.intercept + self.slope * weeks


def fit_line(weeks: Sequence[float], values: Sequence[float]) -> LinearFit:
    """The least-squares line through ``(weeks, values)``; FitError when there is none."""
    if len(weeks) != len(values):
        raise ValueError("weeks and values differ in length")
    n = len(weeks)
    if n < 2:
        raise FitError("one run only: a trend needs two")
    x = np.asarray(weeks, dtype=float)
    y = np.asarray(values, dtype=float)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise FitError("a value is not finite")
    span = float(x.max() - x.min())
    if span * 7 < MIN_SPAN_DAYS:
        raise FitError(
            f"the runs span {span * 7 * 24:.1f} h, less than {MIN_SPAN_DAYS:g} day: too close "
            "together for a weekly trend"
        )
    dx = x - x.mean()
    dy = y - y.mean()
    sxx = float((dx * dx).sum())
    slope = float((dx * dy).sum()) / sxx
    intercept = float(y.mean()) - slope * float(x.mean())
    scale = max(1.0, float(np.abs(y).max()))
    if abs(slope) * span <= 1e-9 * scale:  # no change over the runs beyond float noise
        slope, intercept = 0.0, float(y.mean())
    residuals = y - (intercept + slope * x)
    ssr = float((residuals * residuals).sum())
    sst = float((dy * dy).sum())
    stderr = math.sqrt(ssr / (n - 2) / sxx) if n > 2 else None
    if stderr is not None and stderr <= 1e-9 * abs(slope):  # a straight line: float noise
        stderr = 0.0
    # relative to the values' own scale: float noise in a flat series is not a spread
    flat = sst <= (1e-12 * scale) ** 2 * n
    gaps = np.diff(np.sort(x))
    positive = gaps[gaps > 0]
    irregular = bool(
        n > 2
        and (
            positive.size < gaps.size
            or (positive.size and float(positive.max() / positive.min()) > IRREGULAR_RATIO)
        )
    )
    return LinearFit(
        runs=n,
        slope=0.0 if flat else slope,
        intercept=float(y.mean()) if flat else intercept,
        slope_stderr=(0.0 if flat else stderr) if stderr is not None else None,
        r_squared=None if flat or n == 2 else 1.0 - ssr / sst,
        span_weeks=span,
        irregular=irregular,
    )


def weeks_to_reach(
    fit: LinearFit, current: float, limit: float
) -> tuple[float | None, float | None, float | None]:
    """Weeks from ``current`` (the latest value) until ``limit`` at the fitted growth: expected,
    low (at slope + one standard error) and high (at slope - one standard error; None when
    that slope is not growing, so the limit may never be reached). Expected is None when the
    fit is not growing. Already at or past the limit: 0."""
    if current >= limit:
        return 0.0, 0.0, 0.0
    if fit.slope <= 0:
        return None, None, None
    gap = limit - current
    expected = gap / fit.slope
    if fit.slope_stderr is None:
        return expected, None, None
    fast = fit.slope + fit.slope_stderr
    slow = fit.slope - fit.slope_stderr
    return expected, gap / fast, (gap / slow if slow > 0 else None)
