"""CDC502 snapshot-outlives-slot: WAL held by snapshot + catch-up against the limits."""

from __future__ import annotations

from typing import Any

from audit.engine import RuleContext, Severity, Status, get_profile, run_rule
from audit.estimate.model import Estimates
from rules.cdc502_snapshot_outlives_slot import snapshot_outlives_slot as RULE
from tests.estimate_parts import estimates_with
from tests.factories import GIB, facts


def _estimates(
    retained: tuple[float, float, float | None], keep: float | None = 10 * GIB
) -> Estimates:
    limits: dict[str, Any] = {"disk": {"status": "unavailable", "reason": "unknown"}}
    if keep is not None:
        limits["max_slot_wal_keep_size"] = {"status": "ok", "limit_bytes": keep}
    low, expected, high = retained
    return estimates_with(
        snapshot={
            "status": "ok",
            "mode": "debezium_initial",
            "seconds": {"low": 100.0, "expected": 3600.0, "high": 7200.0},
            "catch_up_seconds": {"low": 0.0, "expected": 60.0, "high": 600.0},
            "retained_wal_bytes": {"low": low, "expected": expected, "high": high},
        },
        runway={"status": "ok", "limits": limits},
    )


def _run(estimates: Estimates) -> Any:
    ctx = RuleContext(profile=get_profile("debezium"), estimates=estimates)
    return run_rule(RULE, facts(), ctx)


def test_pass_when_retained_wal_fits_the_limit() -> None:
    assert _run(_estimates((1 * GIB, 2 * GIB, 4 * GIB))).status is Status.PASS


def test_fail_when_expected_retained_wal_exceeds_max_slot_wal_keep_size() -> None:
    result = _run(_estimates((5 * GIB, 20 * GIB, 40 * GIB)))
    assert result.status is Status.FAIL
    assert result.findings[0].severity is None  # the rule's HIGH
    assert "max_slot_wal_keep_size" in result.findings[0].message


def test_edge_only_the_high_end_exceeds_is_medium() -> None:
    result = _run(_estimates((1 * GIB, 5 * GIB, 12 * GIB)))
    assert result.status is Status.FAIL
    assert result.findings[0].severity is Severity.MEDIUM


def test_edge_consumer_never_catches_up_at_the_high_end_is_medium() -> None:
    result = _run(_estimates((1 * GIB, 5 * GIB, None)))
    assert result.findings[0].severity is Severity.MEDIUM
    assert "unbounded" in result.findings[0].message


def test_not_evaluated_without_any_limit() -> None:
    result = _run(_estimates((1 * GIB, 2 * GIB, 4 * GIB), keep=None))
    assert result.status is Status.NOT_EVALUATED
    assert "free disk" in (result.reason or "")
