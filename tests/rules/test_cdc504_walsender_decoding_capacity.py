"""CDC504 walsender-decoding-capacity: logical WAL rate against one walsender's decode rate."""

from __future__ import annotations

from typing import Any

from audit.engine import RuleContext, Severity, Status, get_profile, run_rule
from audit.estimate.model import Estimates
from rules.cdc504_walsender_decoding_capacity import walsender_decoding_capacity as RULE
from tests.estimate_parts import estimates_with
from tests.factories import facts


def _estimates(utilisation: float, status: str = "ok") -> Estimates:
    logical = {"low": 1e6, "expected": utilisation * 6e7, "high": 1e8 * max(utilisation, 1)}
    return estimates_with(
        wal={"logical_bytes_per_s": logical},
        decoding={
            "status": status,
            "reason": "the logical WAL rate is unavailable",
            "utilisation": {
                "low": utilisation / 2,
                "expected": utilisation,
                "high": utilisation * 2,
            },
            "capacity_bytes_per_s": {"low": 2e7, "expected": 6e7, "high": 1.5e8},
            "inputs": {"logical_bytes_per_s": logical},
        },
    )


def _run(estimates: Estimates, **options: Any) -> Any:
    ctx = RuleContext(
        profile=get_profile("debezium"),
        options=RULE.options.model_validate(options),
        estimates=estimates,
    )
    return run_rule(RULE, facts(), ctx)


def test_pass_when_decoding_has_headroom() -> None:
    assert _run(_estimates(0.1)).status is Status.PASS


def test_fail_near_capacity_is_medium_and_over_capacity_high() -> None:
    near = _run(_estimates(0.8))
    assert near.status is Status.FAIL and near.findings[0].severity is None
    over = _run(_estimates(1.5))
    assert over.findings[0].severity is Severity.HIGH


def test_edge_threshold_option() -> None:
    assert _run(_estimates(0.7)).status is Status.PASS
    assert _run(_estimates(0.5), max_decoding_utilisation=0.4).status is Status.FAIL


def test_not_evaluated_without_a_wal_rate() -> None:
    assert _run(_estimates(0.9, status="unavailable")).status is Status.NOT_EVALUATED
