"""CDC016 expired-waiver: a lapsed waiver is visible, not silent."""

from __future__ import annotations

from datetime import date

from audit.engine import ExpiredWaiver, RuleContext, RuleResult, Status, get_profile, run_rule
from rules.cdc016_expired_waiver import expired_waiver as RULE
from tests.factories import facts


def _run(*waivers: ExpiredWaiver) -> RuleResult:
    context = RuleContext(profile=get_profile("debezium"), expired_waivers=waivers)
    return run_rule(RULE, facts(), context)


def test_pass_without_expired_waivers() -> None:
    assert run_rule(RULE, facts(), RuleContext(profile=get_profile("debezium"))).status is (
        Status.PASS
    )


def test_fail_one_finding_per_expired_waiver() -> None:
    result = _run(
        ExpiredWaiver("CDC101", "audit.*", "append-only", date(2026, 1, 31)),
        ExpiredWaiver("CDC204", "slot:old", "standby rebuild", date(2026, 2, 1)),
    )
    assert result.status is Status.FAIL
    subjects = [f.subject for f in result.findings]
    assert subjects == ["waiver:CDC101:audit.*", "waiver:CDC204:slot:old"]
    first = result.findings[0]
    assert first.message == (
        "the waiver of CDC101 for audit.* expired on 2026-01-31: its findings count again"
    )
    assert first.evidence["reason"] == "append-only"


def test_edge_hostile_subject_pattern_is_kept_verbatim() -> None:
    pattern = 'public."we\'ird" <b>*'
    result = _run(ExpiredWaiver("CDC102", pattern, "x", date(2025, 12, 31)))
    [finding] = result.findings
    assert finding.subject == f"waiver:CDC102:{pattern}"


def test_not_evaluated_never_happens_it_needs_no_facts() -> None:
    """The rule reads only the configuration, so missing facts never stop it."""
    result = run_rule(
        RULE, facts(settings=None, tables=None, slots=None), RuleContext(get_profile("generic"))
    )
    assert result.status is Status.PASS
