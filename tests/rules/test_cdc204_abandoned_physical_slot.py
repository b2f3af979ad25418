"""CDC204 abandoned-physical-slot: a standby slot nobody streams from, with evidence."""

from __future__ import annotations

from datetime import timedelta

from audit.engine import Severity, Status
from audit.facts.models import SlotPosition
from rules.cdc204_abandoned_physical_slot import abandoned_physical_slot as RULE
from tests.factories import GIB, MIB, NOW, facts, fix_text, physical_slot, run, sampling, slot


def test_pass_streaming_standby() -> None:
    assert run(RULE, facts(slots=[physical_slot(retained_bytes=5 * GIB)])).status is Status.PASS


def test_fail_inactive_physical_slot_retaining_wal() -> None:
    s = physical_slot("old_replica", active=False, active_pid=None, retained_bytes=40 * GIB)
    result = run(RULE, facts(slots=[s]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == "physical slot old_replica is inactive and retains 40 GiB of WAL"
    assert finding.fix is not None
    assert fix_text(finding).endswith("SELECT pg_drop_replication_slot('old_replica');")


def test_fail_lost_physical_slot_is_low() -> None:
    s = physical_slot(active=False, wal_status="lost", retained_bytes=None)
    result = run(RULE, facts(slots=[s]))
    assert result.severity_of(result.findings[0]) is Severity.LOW


def test_edge_standby_restarting_is_not_abandoned() -> None:
    s = physical_slot(
        active=False, retained_bytes=200 * MIB, inactive_since=NOW - timedelta(minutes=10)
    )
    assert run(RULE, facts(slots=[s])).status is Status.PASS


def test_edge_a_day_inactive_is_evidence() -> None:
    since = NOW - timedelta(days=2)
    s = physical_slot(active=False, retained_bytes=200 * MIB, inactive_since=since)
    [finding] = run(RULE, facts(slots=[s])).findings
    assert "has been inactive for 2 d" in finding.message


def test_edge_logical_and_temporary_slots_are_not_judged() -> None:
    slots = [
        slot(active=False, retained_bytes=40 * GIB),
        physical_slot("tmp", active=False, temporary=True, retained_bytes=40 * GIB),
    ]
    assert run(RULE, facts(slots=slots)).status is Status.PASS


def test_not_evaluated_when_nothing_is_known_about_an_inactive_slot() -> None:
    s = physical_slot(active=False, retained_bytes=None, inactive_since=None)
    assert run(RULE, facts(slots=[s])).status is Status.NOT_EVALUATED


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED


def test_fail_low_inactive_for_an_unknown_time_before_17() -> None:
    s = physical_slot("old_replica", active=False, active_pid=None, retained_bytes=64 * MIB)
    result = run(RULE, facts(slots=[s]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.LOW
    assert finding.message == (
        "physical slot old_replica is inactive and retains 64 MiB of WAL; how long it has been "
        "inactive is unknown (inactive_since, PostgreSQL 17+)"
    )


def test_fail_inactive_through_a_day_long_window() -> None:
    s = physical_slot("old_replica", active=False, active_pid=None, retained_bytes=64 * MIB)
    window = sampling(seconds=86_400)
    first, last = window.samples
    seen = {"old_replica": SlotPosition(slot_type="physical", active=False)}
    samples = [first.model_copy(update={"slots": seen}), last.model_copy(update={"slots": seen})]
    the_facts = facts(slots=[s], sampling=window.model_copy(update={"samples": samples}))
    result = run(RULE, the_facts)
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert "stayed inactive through the whole 24 h sampling window" in finding.message
