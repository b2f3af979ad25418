"""CDC305 idle-in-transaction: sessions that hold a transaction and do nothing."""

from __future__ import annotations

from typing import Any

from audit.engine import Severity, Status
from rules.cdc305_idle_in_transaction import idle_in_transaction as RULE
from tests.factories import facts, fix_text, run, session, settings

IDLE: dict[str, Any] = {
    "state": "idle in transaction",
    "state_age_seconds": 1800.0,
    "xact_age_seconds": 1900.0,
}


def test_pass_none_idle() -> None:
    assert run(RULE, facts(sessions=[session()])).status is Status.PASS


def test_fail_idle_sessions_together_with_a_timeout_proposal() -> None:
    sessions = [session(1, **IDLE), session(2, **{**IDLE, "state_age_seconds": 600.0})]
    result = run(RULE, facts(sessions=sessions))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message.startswith(
        "2 session(s) sit idle in a transaction, the longest for 30 min: pid 1"
    )
    assert finding.fix is not None
    assert "SELECT pg_terminate_backend(1);" in fix_text(finding)
    assert "ALTER SYSTEM SET idle_in_transaction_session_timeout = '15min';" in fix_text(finding)


def test_edge_no_timeout_proposal_when_one_is_set() -> None:
    the_settings = settings(idle_in_transaction_session_timeout="600000")
    [finding] = run(RULE, facts(sessions=[session(**IDLE)], settings=the_settings)).findings
    assert finding.fix is not None
    assert "idle_in_transaction_session_timeout" not in fix_text(finding)


def test_edge_briefly_idle_is_normal() -> None:
    brief = session(**{**IDLE, "state_age_seconds": 30.0})
    assert run(RULE, facts(sessions=[brief])).status is Status.PASS


def test_not_evaluated_without_sessions() -> None:
    assert run(RULE, facts(sessions=None)).status is Status.NOT_EVALUATED
