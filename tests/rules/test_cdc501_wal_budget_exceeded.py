"""CDC501 wal-budget-exceeded: the expected logical overhead ratio against the budget."""

from __future__ import annotations

from typing import Any

from audit.engine import RuleContext, Status, get_profile, run_rule
from audit.estimate.model import Estimates
from rules.cdc501_wal_budget_exceeded import wal_budget_exceeded as RULE
from tests.estimate_parts import estimates_with
from tests.factories import facts, settings


def _estimates(expected: float, status: str = "ok") -> Estimates:
    ratio = {
        "status": status,
        "low": expected / 2,
        "expected": expected,
        "high": expected * 2,
        "reason": "no WAL rate",
    }
    rate = {"status": status, "low": 1e6, "expected": 1e6 * (1 + expected), "high": 3e6}
    extra = {"low": 4e5, "expected": 5e5, "high": 6e5}
    return estimates_with(
        wal={
            "predictor": "statistics",
            "current_bytes_per_s": {"status": "ok", "window_mean": 1e6},
            "logical_overhead_ratio": ratio,
            "logical_bytes_per_s": rate,
            "per_table": [
                {"table": "public.t", "extra_bytes_per_s": extra, "extra_bytes_in_window": extra}
            ],
        }
    )


def _run(estimates: Estimates, wal_level: str = "replica", **options: Any) -> Any:
    ctx = RuleContext(
        profile=get_profile("debezium"),
        options=RULE.options.model_validate(options),
        estimates=estimates,
    )
    return run_rule(RULE, facts(settings=settings(wal_level=wal_level)), ctx)


def test_pass_when_overhead_is_within_budget() -> None:
    assert _run(_estimates(0.05)).status is Status.PASS


def test_fail_when_expected_overhead_exceeds_budget() -> None:
    result = _run(_estimates(0.5))
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert "+50%" in finding.message
    assert finding.evidence["top_tables"][0]["table"] == "public.t"


def test_edge_at_exactly_the_budget_passes_and_option_moves_it() -> None:
    assert _run(_estimates(0.2)).status is Status.PASS
    assert _run(_estimates(0.2), max_wal_overhead=0.1).status is Status.FAIL


def test_not_evaluated_when_the_estimate_is_unavailable() -> None:
    result = _run(_estimates(0.5, status="unavailable"))
    assert result.status is Status.NOT_EVALUATED
    assert "unavailable" in (result.reason or "")


def test_pass_on_clean_facts_with_estimates_computed_by_the_rule() -> None:
    result = run_rule(RULE, facts(), RuleContext(profile=get_profile("debezium")))
    assert result.status is Status.PASS


def test_edge_a_server_already_logical_passes() -> None:
    """Its measured WAL is logical WAL: the predicted overhead would be counted twice."""
    assert _run(_estimates(0.5), wal_level="logical").status is Status.PASS
    assert _run(_estimates(0.5, status="unavailable"), wal_level="logical").status is Status.PASS
