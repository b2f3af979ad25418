"""CDC202 active-slot-near-invalidation: a lagging consumer about to lose its slot."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc202_active_slot_near_invalidation import active_slot_near_invalidation as RULE
from tests.factories import GIB, facts, run, settings, slot


def test_pass_plenty_of_budget() -> None:
    assert run(RULE, facts(slots=[slot(safe_wal_size=90 * GIB)])).status is Status.PASS


def test_fail_unreserved_active_slot_is_critical() -> None:
    result = run(RULE, facts(slots=[slot(wal_status="unreserved", safe_wal_size=-GIB)]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        "slot debezium is in use but unreserved: WAL its consumer still needs is removed at the "
        "next checkpoint"
    )


def test_fail_budget_below_a_quarter_is_high() -> None:
    result = run(RULE, facts(slots=[slot(wal_status="extended", safe_wal_size=10 * GIB)]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        "slot debezium is in use and 10 GiB of WAL from invalidation "
        "(100 GiB max_slot_wal_keep_size)"
    )


def test_edge_no_limit_means_nothing_to_judge() -> None:
    the_facts = facts(
        settings=settings(max_slot_wal_keep_size="-1"), slots=[slot(safe_wal_size=None)]
    )
    assert run(RULE, the_facts).status is Status.PASS


def test_edge_inactive_slots_are_left_to_cdc201() -> None:
    s = slot(active=False, wal_status="unreserved", safe_wal_size=0)
    assert run(RULE, facts(slots=[s])).status is Status.PASS


def test_edge_threshold_is_an_option() -> None:
    s = slot(safe_wal_size=40 * GIB)
    assert run(RULE, facts(slots=[s])).status is Status.PASS
    assert run(RULE, facts(slots=[s]), min_safe_percent=50).status is Status.FAIL


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED
