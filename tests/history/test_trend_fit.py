"""The trend's fit and extrapolation: known series with known slopes, two points, flat series,
irregular and too-close runs, the standard error's coverage, and the sentences the report
prints."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from history_support import T0, demo_report

from audit.history.fit import FitError, fit_line, weeks_to_reach
from audit.history.trend_series import Observation, build_trends, observe
from audit.history.trend_text import fit_text
from audit.history.trends import Fit

GIB = 1024.0**3


def test_a_hand_computed_series() -> None:
    # x 0..3, y 0 1 3 3: slope 5.5/5, SSR 0.70, SE sqrt(0.70 / 2 / 5), R² 1 - 0.70 / 6.75
    fit = fit_line([0, 1, 2, 3], [0, 1, 3, 3])
    assert fit.slope == pytest.approx(1.1)
    assert fit.intercept == pytest.approx(0.1)
    assert fit.slope_stderr == pytest.approx(0.07**0.5)
    assert fit.r_squared == pytest.approx(1 - 0.70 / 6.75)
    assert fit.at(3) == pytest.approx(3.4)
    assert not fit.irregular


def test_an_exact_line_has_no_error_and_matches_polyfit() -> None:
    weeks = [0.0, 1.0, 2.5, 3.0, 5.0]
    values = [1e9 + 3e7 * w for w in weeks]
    fit = fit_line(weeks, values)
    slope, intercept = np.polyfit(weeks, values, 1)
    assert fit.slope == pytest.approx(slope) == pytest.approx(3e7)
    assert fit.intercept == pytest.approx(intercept)
    assert fit.slope_stderr == 0.0 and fit.r_squared == pytest.approx(1.0)


def test_the_standard_error_covers_the_true_slope_as_often_as_it_should() -> None:
    """8 runs, Gaussian noise: the true slope lies within one standard error in about 64 % of
    series (Student t with 6 degrees of freedom), within two in about 91 %."""
    rng = np.random.default_rng(11)
    weeks = np.arange(8.0)
    within_one = within_two = 0
    trials = 4000
    for _ in range(trials):
        values = 50.0 + 4.0 * weeks + rng.normal(0.0, 3.0, weeks.size)
        fit = fit_line(list(weeks), list(values))
        assert fit.slope_stderr is not None
        within_one += abs(fit.slope - 4.0) <= fit.slope_stderr
        within_two += abs(fit.slope - 4.0) <= 2 * fit.slope_stderr
    assert 0.61 < within_one / trials < 0.67
    assert 0.89 < within_two / trials < 0.93


def test_two_points_give_a_slope_without_uncertainty() -> None:
    fit = fit_line([0.0, 1.0], [10.0, 15.0])
    assert fit.slope == 5.0
    assert fit.slope_stderr is None and fit.r_squared is None
    text = fit_text(_model(fit.runs, 7.0, 5.0, None, None), "count")
    assert text == (
        "+5 per week (2 runs over 7 days: a line through two points, its uncertainty cannot be "
        "estimated)"
    )


def test_a_flat_series_is_no_change() -> None:
    fit = fit_line([0, 1, 2], [7.0, 7.0, 7.0])
    assert fit.slope == 0.0 and fit.slope_stderr == 0.0 and fit.r_squared is None
    assert fit_text(_model(3, 14.0, 0.0, 0.0, None), "bytes") == "no change (3 runs over 14 days)"


def test_irregular_spacing_is_flagged_and_still_fitted_by_time() -> None:
    weeks = [0.0, 0.2, 0.4, 6.0]
    fit = fit_line(weeks, [100 + 2 * w for w in weeks])
    assert fit.irregular and fit.slope == pytest.approx(2.0)
    regular = fit_line([0, 1, 2, 3.5], [1, 2, 3, 4])
    assert not regular.irregular


def test_runs_too_close_together_or_too_few_are_not_fitted() -> None:
    with pytest.raises(FitError, match="too close together"):
        fit_line([0.0, 0.05], [1.0, 2.0])  # 8.4 hours apart
    with pytest.raises(FitError, match="one run"):
        fit_line([0.0], [1.0])
    with pytest.raises(FitError, match="not finite"):
        fit_line([0.0, 1.0], [1.0, float("nan")])


def test_weeks_to_reach_a_limit() -> None:
    fit = fit_line([0, 1, 2, 3], [20, 32, 38, 50])  # slope 9.6, SE 1.34
    assert fit.slope_stderr is not None
    expected, low, high = weeks_to_reach(fit, 50.0, 150.0)
    assert expected == pytest.approx(100 / fit.slope)
    assert low == pytest.approx(100 / (fit.slope + fit.slope_stderr))
    assert high == pytest.approx(100 / (fit.slope - fit.slope_stderr))
    assert weeks_to_reach(fit, 200.0, 150.0) == (0.0, 0.0, 0.0)
    falling = fit_line([0, 1, 2], [5, 4, 3])
    assert weeks_to_reach(falling, 3.0, 10.0) == (None, None, None)
    noisy = fit_line([0, 1, 2, 3], [0, 5, -1, 4])  # slope 0.6 < its SE
    assert weeks_to_reach(noisy, 4.0, 10.0)[2] is None  # may never get there


def _model(runs: int, days: float, slope: float, se: float | None, r2: float | None) -> Fit:
    return Fit(
        runs=runs,
        span_days=days,
        slope_per_week=slope,
        slope_stderr=se,
        r_squared=r2,
        irregular=False,
    )


def _week(
    base: dict[str, Any], n: int, *, growth: float, slot: float, keep: float | None
) -> Observation:
    doc = copy.deepcopy(base)
    doc["report_id"] = f"week{n}"
    for table in doc["inventory"]["tables"]:
        if table.get("total_bytes"):
            table["total_bytes"] *= 1 + growth * n
    doc["inventory"]["slots"][0]["retained_bytes"] = slot * (n + 1)
    snapshot = doc["estimates"]["snapshot"]["retained_wal_bytes"]
    snapshot["expected"] *= 1 + growth * n
    doc["estimates"]["snapshot"]["seconds"]["expected"] = 100.0 * (1 + growth * n)
    if keep is not None:
        doc["estimates"]["runway"]["limits"]["max_slot_wal_keep_size"] = {
            "status": "ok",
            "limit_bytes": keep,
        }
    return observe(doc, run_at=T0 + timedelta(weeks=n), source=f"run {n}", simulated=False)


def test_the_extrapolations_say_when_a_limit_is_reached_with_their_fit() -> None:
    base = demo_report()
    weeks = [_week(base, n, growth=0.5, slot=100 * 1024**2, keep=GIB) for n in range(4)]
    trends = build_trends(weeks)
    assert [r.report_id for r in trends.runs] == ["week0", "week1", "week2", "week3"]
    slot = next(e for e in trends.extrapolations if e.series == "retained_wal_bytes")
    # 100 MiB more a week, 400 MiB now: 624 MiB to go to 1 GiB, 6.24 weeks
    assert slot.weeks == pytest.approx(6.24)
    assert slot.limit == "max_slot_wal_keep_size" and slot.limit_value == GIB
    assert "reaches max_slot_wal_keep_size (1 GiB) in about 6.24 weeks" in slot.text
    assert "the slot is then invalidated" in slot.text
    assert "Fit: +100 MiB per week ± 0 B (4 runs over 21 days, R² 1.00)" in slot.text
    snapshot = next(e for e in trends.extrapolations if e.series == "snapshot_retained_wal_bytes")
    assert "outlive its slot" in snapshot.text and snapshot.weeks is not None
    assert not any(e.limit == "free disk" for e in trends.extrapolations)  # disk unknown
    tables = [s for s in trends.series if s.name == "table_total_bytes"]
    assert len(tables) == 4 and all(s.fit and s.fit.slope_per_week > 0 for s in tables)
    assert trends.notes == []


def test_without_a_limit_there_is_nothing_to_reach_and_two_runs_say_so() -> None:
    base = demo_report()
    trends = build_trends([_week(base, n, growth=0.1, slot=1e6, keep=None) for n in range(2)])
    assert not any(e.kind == "limit" for e in trends.extrapolations)
    assert trends.notes[0].startswith("Two runs: every line goes through both points")
    horizon = next(e for e in trends.extrapolations if e.kind == "horizon")
    assert horizon.series == "snapshot_seconds" and horizon.projected == pytest.approx(240.0)
    assert horizon.text.startswith(
        "At this growth the initial snapshot's duration (1.83 min now) is about 4 min in 13 weeks."
    )
    assert "its uncertainty cannot be estimated" in horizon.text


def test_a_shrinking_slot_gets_no_extrapolation_and_runs_too_close_get_no_fit() -> None:
    base = demo_report()
    # retained: 9, 3, 1 MB (a consumer catching up)
    shrinking = [
        _week(base, n, growth=0.0, slot=3e6 / (n + 1) ** 2 * (3 - n), keep=GIB) for n in range(3)
    ]
    trends = build_trends(shrinking)
    assert not any(e.series == "retained_wal_bytes" for e in trends.extrapolations)
    close = [
        observe(base, run_at=T0 + timedelta(minutes=m), source=str(m), simulated=False)
        for m in (0, 5, 10)
    ]
    trends = build_trends(close)
    assert any("too close together" in n for n in trends.notes)
    assert all(s.fit is None for s in trends.series)
    assert trends.extrapolations == []
