"""CDC112 uncapturable-relations: materialized views and foreign tables produce no events."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts.models import OtherRelation
from rules.cdc112_uncapturable_relations import uncapturable_relations as RULE
from tests.factories import facts, run


def test_pass_none() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_one_finding_for_all() -> None:
    relations = [
        OtherRelation(qualified_name="public.daily_totals", kind="materialized_view"),
        OtherRelation(qualified_name="remote.customers", kind="foreign_table"),
    ]
    result = run(RULE, facts(other_relations=relations))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.LOW
    assert finding.message == (
        "2 relation(s) in scope are never captured: public.daily_totals (materialized view), "
        "remote.customers (foreign table)"
    )


def test_edge_long_lists_are_cut() -> None:
    relations = [
        OtherRelation(qualified_name=f"public.mv{i}", kind="materialized_view") for i in range(7)
    ]
    [finding] = run(RULE, facts(other_relations=relations)).findings
    assert finding.message.endswith("and 2 more")
    assert len(finding.evidence["relations"]) == 7


def test_not_evaluated_without_the_family() -> None:
    assert run(RULE, facts(other_relations=None)).status is Status.NOT_EVALUATED
