"""CDC203 slot-holding-back-xmin: old horizons of slots in use, graded against freezing."""

from __future__ import annotations

import pytest

from audit.engine import Severity, Status
from rules.cdc203_slot_holding_back_xmin import slot_holding_back_xmin as RULE
from tests.factories import facts, fix_text, physical_slot, run, settings, slot


def test_pass_young_horizon() -> None:
    assert run(RULE, facts(slots=[slot(catalog_xmin_age=50_000)])).status is Status.PASS


@pytest.mark.parametrize(
    ("age", "severity"),
    [
        (100_000_000, Severity.MEDIUM),
        (200_000_000, Severity.HIGH),
        (1_200_000_000, Severity.CRITICAL),
    ],
)
def test_fail_graded_by_autovacuum_freeze_max_age(age: int, severity: Severity) -> None:
    result = run(RULE, facts(slots=[slot(catalog_xmin_age=age)]))
    [finding] = result.findings
    assert result.severity_of(finding) is severity


def test_fail_standby_feedback_xmin() -> None:
    s = physical_slot(xmin_age=300_000_000, active_pid=777)
    [finding] = run(RULE, facts(slots=[s])).findings
    assert finding.message == (
        "slot standby1 holds xmin 300,000,000 transactions back "
        "(autovacuum_freeze_max_age 200,000,000)"
    )
    assert finding.fix is not None
    assert fix_text(finding).endswith("FROM pg_stat_replication WHERE pid = 777;")


def test_edge_inactive_slots_are_left_to_cdc201_and_cdc204() -> None:
    assert run(RULE, facts(slots=[slot(active=False, catalog_xmin_age=900_000_000)])).status is (
        Status.PASS
    )


def test_edge_freeze_max_age_assumed_when_not_collected() -> None:
    the_facts = facts(
        settings=settings(autovacuum_freeze_max_age=None),
        slots=[slot(catalog_xmin_age=150_000_000)],
    )
    [finding] = run(RULE, the_facts).findings
    assert finding.evidence["autovacuum_freeze_max_age_collected"] is False


def test_edge_lower_freeze_max_age_lowers_the_bar() -> None:
    the_facts = facts(
        settings=settings(autovacuum_freeze_max_age="50000000"),
        slots=[slot(catalog_xmin_age=30_000_000)],
    )
    assert run(RULE, the_facts).status is Status.FAIL


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED
