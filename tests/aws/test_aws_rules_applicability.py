"""Every AWS rule follows the same policy: pass on a plainly self-managed server, not
evaluated when the target is (or was named as) RDS or Aurora but its control plane could not
be read, and its doc says so."""

from __future__ import annotations

import re

import pytest

from audit.engine import Rule, Status, all_rules
from audit.facts import CollectionIssue
from tests.aws.builders import aurora_facts, rds_facts
from tests.factories import aurora, facts, rds, run

AWS_RULES = [r for r in all_rules() if r.code.startswith("CDC4")]
IDS = [r.code for r in AWS_RULES]


def test_the_aws_family_has_its_ten_rules() -> None:
    assert [r.code for r in AWS_RULES] == [f"CDC4{n:02d}" for n in range(1, 11)]


@pytest.mark.parametrize("rule", AWS_RULES, ids=IDS)
def test_passes_on_a_self_managed_server_without_aws(rule: Rule) -> None:
    assert rule.requires == ()
    assert run(rule, facts()).status is Status.PASS


@pytest.mark.parametrize("rule", AWS_RULES, ids=IDS)
def test_not_evaluated_on_rds_or_aurora_without_aws_facts(rule: Rule) -> None:
    for server in (aurora(), rds()):
        result = run(rule, facts(server=server))
        assert result.status is Status.NOT_EVALUATED
        assert result.reason is not None and "--aws-region" in result.reason


@pytest.mark.parametrize("rule", AWS_RULES, ids=IDS)
def test_not_evaluated_when_the_named_target_could_not_be_read(rule: Rule) -> None:
    issue = CollectionIssue(family="aws", reason="no RDS cluster or instance has the endpoint x")
    result = run(rule, facts(issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None and "has the endpoint x" in result.reason


@pytest.mark.parametrize("rule", AWS_RULES, ids=IDS)
def test_passes_on_a_healthy_cluster_and_instance(rule: Rule) -> None:
    assert run(rule, aurora_facts()).status is Status.PASS
    assert run(rule, rds_facts()).status is Status.PASS


@pytest.mark.parametrize("rule", AWS_RULES, ids=IDS)
def test_doc_states_the_self_managed_choice(rule: Rule) -> None:
    text = re.sub(r"\s+", " ", rule.section("What it checks"))
    assert (
        "On a self-managed server with no AWS target the rule passes: "
        "there is no control plane to check." in text
    )
    assert any(u.startswith("https://docs.aws.amazon.com/") for u in rule.references())
