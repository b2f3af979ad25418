"""CDC505 full-identity-wal-cost: the WAL that FULL identity costs on tables with a key."""

from __future__ import annotations

from typing import Any

from audit.engine import RuleContext, Status, get_profile, run_rule
from audit.estimate.model import Estimates
from rules.cdc505_full_identity_wal_cost import full_identity_wal_cost as RULE
from tests.estimate_parts import estimates_with
from tests.factories import facts, fix_text


def _row(table: str, identity: str, recommended: str, now: float, then: float) -> dict[str, Any]:
    return {
        "table": table,
        "replica_identity": identity,
        "recommended_identity": recommended,
        "extra_bytes_per_s": {"low": now, "expected": now, "high": now},
        "extra_bytes_per_s_recommended": {"low": then, "expected": then, "high": then},
        "extra_bytes_in_window": {"low": now, "expected": now, "high": now},
    }


def _estimates(rows: list[dict[str, Any]], status: str = "ok") -> Estimates:
    return estimates_with(
        wal={
            "current_bytes_per_s": {"status": "ok", "window_mean": 1e6},
            "logical_overhead_ratio": {
                "status": status,
                "reason": "no rate",
                "low": 0.1,
                "expected": 0.1,
                "high": 0.1,
            },
            "per_table": rows,
        }
    )


def _run(estimates: Estimates, **options: Any) -> Any:
    ctx = RuleContext(
        profile=get_profile("debezium"),
        options=RULE.options.model_validate(options),
        estimates=estimates,
    )
    return run_rule(RULE, facts(), ctx)


def test_pass_when_full_tables_cost_little() -> None:
    assert _run(_estimates([_row("public.a", "full", "default", 2e4, 1e3)])).status is Status.PASS


def test_fail_when_full_costs_a_share_of_wal() -> None:
    result = _run(
        _estimates(
            [
                _row("public.a", "full", "default", 3e5, 1e4),
                _row("public.b", "full", "index", 1e5, 0.0),
            ]
        )
    )
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert finding.subject == "replica-identity-full"
    assert [t["table"] for t in finding.evidence["tables"]] == ["public.a", "public.b"]
    assert "REPLICA IDENTITY DEFAULT" in (fix_text(finding) or "")
    assert "USING INDEX" in (fix_text(finding) or "")


def test_edge_full_without_a_candidate_key_is_not_counted() -> None:
    result = _run(_estimates([_row("public.nokey", "full", "full", 9e5, 9e5)]))
    assert result.status is Status.PASS


def test_not_evaluated_without_a_wal_estimate() -> None:
    assert _run(_estimates([], status="unavailable")).status is Status.NOT_EVALUATED
