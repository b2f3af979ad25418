"""Words for a trend's fit and extrapolation, shared by report.json's sentences and the report's
tables. No pandas here: the report renders trends without importing it."""

from __future__ import annotations

from audit.history.render import fmt_figure
from audit.history.trends import Fit
from audit.units import significant

#: Weeks beyond which an extrapolation is "more than ten years": a line does not hold that long.
FAR_WEEKS = 520


def amount(value: float, unit: str) -> str:
    """A signed-free amount of a series' unit: a slope of 0.5 findings is not "0"."""
    if unit == "count":
        return significant(value)
    return fmt_figure(value, unit)


def fit_text(fit: Fit, unit: str) -> str:
    """``+1.2 MiB per week ± 0.30 MiB (3 runs over 14 days, R² 0.98)``."""
    basis = f"{fit.runs} runs over {significant(fit.span_days)} days"
    if fit.r_squared is None and fit.slope_per_week == 0:
        return f"no change ({basis})"
    sign = "+" if fit.slope_per_week > 0 else ("-" if fit.slope_per_week < 0 else "")
    text = f"{sign}{amount(abs(fit.slope_per_week), unit)} per week"
    if fit.slope_stderr is not None:
        text += f" ± {amount(fit.slope_stderr, unit)}"
    if fit.slope_stderr is None:
        basis += ": a line through two points, its uncertainty cannot be estimated"
    else:
        basis += f", R² {fit.r_squared:.2f}"
    if fit.irregular:
        basis += ", irregular spacing"
    return f"{text} ({basis})"


def weeks_text(weeks: float) -> str:
    if weeks >= FAR_WEEKS:
        return "more than ten years"
    if weeks < 1:
        days = weeks * 7
        return "less than a day" if days < 1 else f"about {significant(days)} days"
    return f"about {significant(weeks)} weeks"


def range_text(low: float | None, high: float | None) -> str:
    """`` (12 weeks to 40 weeks at the slope ± one standard error)``; empty without a range."""
    if low is None or low == high:
        return ""
    fast = weeks_text(low).removeprefix("about ")
    slow = "never" if high is None else weeks_text(high).removeprefix("about ")
    return f" ({fast} to {slow} at the slope ± one standard error)"
