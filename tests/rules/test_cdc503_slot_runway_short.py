"""CDC503 slot-runway-short: hours until a stalled slot hits its limit."""

from __future__ import annotations

from typing import Any

from audit.engine import RuleContext, Status, get_profile, run_rule
from audit.estimate.model import Estimates
from rules.cdc503_slot_runway_short import slot_runway_short as RULE
from tests.estimate_parts import estimates_with
from tests.factories import GIB, facts


def _estimates(hours: float, status: str = "ok") -> Estimates:
    return estimates_with(
        runway={
            "status": status,
            "reason": "the logical WAL rate is unavailable",
            "hours": {"low": hours / 2, "expected": hours, "high": hours * 2},
            "limit": "max_slot_wal_keep_size",
            "limits": {"max_slot_wal_keep_size": {"status": "ok", "limit_bytes": 10 * GIB}},
            "inputs": {"p95_logical_bytes_per_s": 1e6},
        }
    )


def _run(estimates: Estimates, **options: Any) -> Any:
    ctx = RuleContext(
        profile=get_profile("debezium"),
        options=RULE.options.model_validate(options),
        estimates=estimates,
    )
    return run_rule(RULE, facts(), ctx)


def test_pass_with_days_of_runway() -> None:
    assert _run(_estimates(100.0)).status is Status.PASS


def test_fail_with_a_few_hours_of_runway() -> None:
    result = _run(_estimates(3.0))
    assert result.status is Status.FAIL
    assert "3 h" in result.findings[0].message


def test_edge_threshold_is_an_option() -> None:
    assert _run(_estimates(24.0)).status is Status.PASS
    assert _run(_estimates(30.0), min_runway_hours=48).status is Status.FAIL


def test_not_evaluated_when_runway_is_unavailable() -> None:
    assert _run(_estimates(1.0, status="unavailable")).status is Status.NOT_EVALUATED
