"""CDC003 wal-sender-headroom: senders for standbys, existing consumers and new connectors."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.estimate import EstimateOptions
from audit.facts.models import Sender
from rules.cdc003_wal_sender_headroom import wal_sender_headroom as RULE
from tests.factories import facts, fix_text, physical_slot, run, setting, settings, slot


def test_pass_defaults_leave_room() -> None:
    assert run(RULE, facts(slots=[physical_slot(), slot()])).status is Status.PASS


def test_fail_standbys_take_every_sender_is_critical() -> None:
    slots = [physical_slot("standby1"), physical_slot("standby2", active=False)]
    result = run(RULE, facts(settings=settings(max_wal_senders="2"), slots=slots))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        "max_wal_senders is 2 with 2 physical and 0 logical slot(s) to serve: 0 free, "
        "2 needed (1 connector(s) x 1 sender(s) + 1 spare): raise it to 4"
    )
    assert finding.fix is not None
    assert "ALTER SYSTEM SET max_wal_senders = 4;" in fix_text(finding)


def test_fail_no_spare_is_high() -> None:
    result = run(RULE, facts(settings=settings(max_wal_senders="2"), slots=[physical_slot()]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH


def test_fail_standby_streaming_without_a_slot_counts() -> None:
    senders = [Sender(pid=1, application_name="replica2", slot_name=None)]
    the_settings = settings(max_wal_senders="3")
    the_facts = facts(settings=the_settings, slots=[physical_slot()], senders=senders)
    [finding] = run(RULE, the_facts).findings
    assert "and 1 sender(s) without a slot" in finding.message
    assert finding.evidence["senders_without_slot"] == 1


def test_edge_synced_slots_on_a_standby_hold_no_sender() -> None:
    slots = [slot("copy", active=False, synced=True)]
    assert run(RULE, facts(settings=settings(max_wal_senders="2"), slots=slots)).status is (
        Status.PASS
    )


def test_edge_staged_value_that_suffices_asks_for_a_restart() -> None:
    staged = setting("max_wal_senders", "1", pending_value="8")
    result = run(RULE, facts(settings=settings(max_wal_senders=staged), slots=[physical_slot()]))
    [finding] = result.findings
    assert finding.fix is not None
    assert [s.restarts for s in finding.fix.steps] == [None, "server"]
    assert "ALTER SYSTEM" not in fix_text(finding)


def test_edge_spare_slots_estimate_option() -> None:
    the_facts = facts(settings=settings(max_wal_senders="2"), slots=[physical_slot()])
    assert run(RULE, the_facts, estimates=EstimateOptions(spare_slots=0)).status is Status.PASS
    assert run(RULE, the_facts).status is Status.FAIL


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED


def test_not_evaluated_without_the_setting() -> None:
    assert run(RULE, facts(settings=settings(max_wal_senders=None))).status is (
        Status.NOT_EVALUATED
    )
