"""CDC002 replication-slot-headroom: a free slot for each planned connector, and a spare."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.estimate import EstimateOptions
from audit.facts import Slot
from rules.cdc002_replication_slot_headroom import replication_slot_headroom as RULE
from tests.factories import facts, fix_text, physical_slot, run, setting, settings, slot


def _slots(count: int) -> list[Slot]:
    return [slot(f"s{i}") for i in range(count)]


def test_pass_enough_free_slots() -> None:
    assert run(
        RULE, facts(settings=settings(max_replication_slots="4"), slots=_slots(2))
    ).status is (Status.PASS)


def test_fail_no_free_slot_is_critical() -> None:
    result = run(RULE, facts(settings=settings(max_replication_slots="3"), slots=_slots(3)))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        "max_replication_slots is 3 with 3 slot(s) in use: 0 free, 2 needed "
        "(1 connector(s) x 1 slot(s) + 1 spare): raise it to 5"
    )
    assert finding.fix is not None
    assert "ALTER SYSTEM SET max_replication_slots = 5;" in fix_text(finding)
    assert "restart" in fix_text(finding)


def test_fail_missing_spare_only_is_high() -> None:
    result = run(RULE, facts(settings=settings(max_replication_slots="3"), slots=_slots(2)))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.evidence["free"] == 1


def test_fail_physical_and_temporary_slots_occupy_slots_too() -> None:
    slots = [physical_slot(), slot("tmp", temporary=True)]
    result = run(RULE, facts(settings=settings(max_replication_slots="2"), slots=slots))
    [finding] = result.findings
    assert finding.evidence["slots_in_use"] == 2
    assert finding.evidence["temporary_slots"] == 1


def test_fail_native_profile_counts_table_sync_slots() -> None:
    """A subscription's initial sync holds two more slots (max_sync_workers_per_subscription)."""
    result = run(RULE, facts(settings=settings(max_replication_slots="3")), profile="native")
    [finding] = result.findings
    assert finding.evidence["needed"] == 4
    assert result.severity_of(finding) is Severity.HIGH


def test_edge_staged_value_that_suffices_asks_for_a_restart() -> None:
    staged = setting("max_replication_slots", "2", pending_value="10")
    result = run(RULE, facts(settings=settings(max_replication_slots=staged), slots=_slots(2)))
    [finding] = result.findings
    assert finding.message.endswith(
        "10 is staged in a configuration file and applies at the next restart, "
        "which resolves this finding"
    )
    assert finding.fix is not None
    assert [s.restarts for s in finding.fix.steps] == [None, "server"]
    assert "ALTER SYSTEM" not in fix_text(finding)


def test_edge_staged_value_that_shrinks_headroom_is_reported() -> None:
    staged = setting("max_replication_slots", "10", pending_value="2")
    result = run(RULE, facts(settings=settings(max_replication_slots=staged), slots=_slots(1)))
    [finding] = result.findings
    assert "after the next restart 1 slot(s) are free" in finding.message


def test_edge_planned_connectors_option_for_running_setups() -> None:
    """A weekly audit of a running connector plans no new one: only the spare is needed."""
    the_facts = facts(settings=settings(max_replication_slots="2"), slots=_slots(1))
    planned = EstimateOptions(planned_connectors=0)
    assert run(RULE, the_facts, estimates=planned).status is Status.PASS
    assert run(RULE, the_facts).status is Status.FAIL


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED


def test_not_evaluated_without_the_setting() -> None:
    result = run(RULE, facts(settings=settings(max_replication_slots=None)))
    assert result.status is Status.NOT_EVALUATED
