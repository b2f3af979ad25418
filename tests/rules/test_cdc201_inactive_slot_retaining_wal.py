"""CDC201 inactive-slot-retaining-wal: abandoned logical slots, with evidence, never guesses."""

from __future__ import annotations

from datetime import timedelta

from audit.engine import Severity, Status
from audit.facts import Facts, Slot
from audit.facts.models import SlotPosition
from rules.cdc201_inactive_slot_retaining_wal import inactive_slot_retaining_wal as RULE
from tests.factories import GIB, MIB, NOW, facts, fix_text, physical_slot, run, sampling, slot


def test_pass_active_slot() -> None:
    assert run(RULE, facts(slots=[slot(retained_bytes=50 * GIB)])).status is Status.PASS


def test_fail_inactive_slot_retaining_wal() -> None:
    s = slot("old_connector", active=False, active_pid=None, retained_bytes=12 * GIB)
    result = run(RULE, facts(slots=[s]))
    [finding] = result.findings
    assert finding.subject == "slot:old_connector"
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == "slot old_connector is inactive and retains 12 GiB of WAL"
    assert finding.evidence["retained_bytes"] == 12 * GIB
    assert finding.fix is not None
    assert fix_text(finding).endswith("SELECT pg_drop_replication_slot('old_connector');")


def test_fail_slot_name_is_escaped_as_a_literal() -> None:
    s = slot("it's", active=False, retained_bytes=2 * GIB)
    [finding] = run(RULE, facts(slots=[s])).findings
    assert finding.fix is not None
    assert "SELECT pg_drop_replication_slot('it''s');" in fix_text(finding)


def test_fail_long_inactive_since_is_evidence_on_17() -> None:
    s = slot(active=False, retained_bytes=10 * MIB, inactive_since=NOW - timedelta(hours=30))
    [finding] = run(RULE, facts(slots=[s])).findings
    assert finding.message == "slot debezium is inactive and has been inactive for 30 h"
    assert finding.evidence["inactive_seconds"] == 30 * 3600


def test_fail_unreserved_is_critical() -> None:
    s = slot(active=False, retained_bytes=3 * GIB, wal_status="unreserved")
    result = run(RULE, facts(slots=[s]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert "loses that WAL at the next checkpoint" in finding.message


def test_fail_lost_slot_is_critical_and_needs_a_new_snapshot() -> None:
    s = slot(
        active=False, retained_bytes=None, wal_status="lost", invalidation_reason="wal_removed"
    )
    result = run(RULE, facts(slots=[s]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        "slot debezium is inactive and invalidated (wal_removed): its consumer cannot resume"
    )
    assert finding.fix is not None
    assert "new snapshot" in fix_text(finding)


def test_fail_huge_retention_is_critical() -> None:
    result = run(RULE, facts(slots=[slot(active=False, retained_bytes=200 * GIB)]))
    assert result.severity_of(result.findings[0]) is Severity.CRITICAL


def test_edge_briefly_disconnected_consumer_is_not_abandoned() -> None:
    """A connector restarting leaves its slot inactive for seconds, holding little WAL."""
    s = slot(active=False, retained_bytes=40 * MIB, inactive_since=NOW - timedelta(seconds=20))
    assert run(RULE, facts(slots=[s])).status is Status.PASS


def test_edge_temporary_synced_and_physical_slots_are_not_reported() -> None:
    slots = [
        slot("tmp", active=False, temporary=True, retained_bytes=5 * GIB),
        slot("copy", active=False, synced=True, retained_bytes=5 * GIB),
        physical_slot(active=False, retained_bytes=5 * GIB),
    ]
    assert run(RULE, facts(slots=slots)).status is Status.PASS


def test_edge_thresholds_are_options() -> None:
    s = slot(active=False, retained_bytes=300 * MIB, inactive_since=NOW - timedelta(minutes=5))
    assert run(RULE, facts(slots=[s])).status is Status.PASS
    assert run(RULE, facts(slots=[s]), min_retained_bytes=256 * MIB).status is Status.FAIL


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED


def test_not_evaluated_when_retention_and_age_are_unknown() -> None:
    s = slot(active=False, retained_bytes=None, inactive_since=None, catalog_xmin_age=None)
    result = run(RULE, facts(slots=[s]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None
    assert "debezium" in result.reason


def _watched(s: Slot, seconds: float, active_at_end: bool = False) -> Facts:
    """Facts whose sampling window of ``seconds`` (20 MiB of WAL) saw slot ``s``."""
    window = sampling(seconds=seconds)
    first, last = window.samples
    samples = [
        first.model_copy(update={"slots": {s.slot_name: SlotPosition(active=False)}}),
        last.model_copy(update={"slots": {s.slot_name: SlotPosition(active=active_at_end)}}),
    ]
    return facts(slots=[s], sampling=window.model_copy(update={"samples": samples}))


def test_fail_low_inactive_for_an_unknown_time_before_17() -> None:
    s = slot("reporting", active=False, active_pid=None, retained_bytes=40 * MIB)
    result = run(RULE, facts(slots=[s]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.LOW
    assert finding.message == (
        "slot reporting is inactive and retains 40 MiB of WAL; how long it has been inactive "
        "is unknown (inactive_since, PostgreSQL 17+)"
    )
    assert fix_text(finding).endswith("SELECT pg_drop_replication_slot('reporting');")
    # the sampling window adds what it saw, below the threshold
    [watched] = run(RULE, _watched(s, 300)).findings
    assert watched.message.endswith(
        "; it stayed inactive through the whole 5 min sampling window while 20 MiB of WAL was "
        "written"
    )


def test_fail_inactive_through_a_long_window_is_evidence() -> None:
    s = slot("reporting", active=False, active_pid=None, retained_bytes=40 * MIB)
    result = run(RULE, _watched(s, 7200))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        "slot reporting is inactive and stayed inactive through the whole 2 h sampling window "
        "while 20 MiB of WAL was written"
    )
    # a consumer that came back during the window: only the low, unknown-age finding
    [back] = run(RULE, _watched(s, 7200, active_at_end=True)).findings
    assert run(RULE, _watched(s, 7200, active_at_end=True)).severity_of(back) is Severity.LOW
    assert "sampling window" not in back.message


def test_edge_known_short_inactivity_passes_on_17() -> None:
    s = slot(active=False, retained_bytes=40 * MIB, inactive_since=NOW - timedelta(seconds=30))
    assert run(RULE, _watched(s, 7200)).status is Status.PASS
