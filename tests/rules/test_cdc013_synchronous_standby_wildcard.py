"""CDC013 synchronous-standby-wildcard: '*' makes the CDC consumer a synchronous standby."""

from __future__ import annotations

import pytest

from audit.engine import Severity, Status
from rules.cdc013_synchronous_standby_wildcard import synchronous_standby_wildcard as RULE
from tests.factories import facts, run, settings


def test_pass_named_standbys() -> None:
    the_facts = facts(settings=settings(synchronous_standby_names="FIRST 1 (standby1)"))
    assert run(RULE, the_facts).status is Status.PASS


@pytest.mark.parametrize("value", ["*", "ANY 1 (*)", "FIRST 2 (standby1, *)"])
def test_fail_wildcard(value: str) -> None:
    result = run(RULE, facts(settings=settings(synchronous_standby_names=value)))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        f"synchronous_standby_names is {value!r}: the CDC consumer's walsender can become the "
        "synchronous standby that every commit waits for"
    )


def test_edge_empty_means_asynchronous() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_edge_native_subscriptions_may_be_synchronous_on_purpose() -> None:
    assert not RULE.applies_to("native")


def test_not_evaluated_without_the_setting() -> None:
    result = run(RULE, facts(settings=settings(synchronous_standby_names=None)))
    assert result.status is Status.NOT_EVALUATED
