"""CDC012 standby-slots-block-decoding: failover slots wait for the listed standby slots."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc012_standby_slots_block_decoding import standby_slots_block_decoding as RULE
from tests.factories import facts, fix_text, physical_slot, run, server, settings, slot

LISTED = settings({"synchronized_standby_slots": "standby1"})


def test_pass_listed_standby_streams() -> None:
    the_facts = facts(settings=LISTED, slots=[physical_slot("standby1"), slot(failover=True)])
    assert run(RULE, the_facts).status is Status.PASS


def test_fail_missing_slot_is_critical() -> None:
    the_facts = facts(
        settings=settings({"synchronized_standby_slots": "ghost, standby1"}),
        slots=[physical_slot("standby1"), slot("dbz", failover=True)],
    )
    result = run(RULE, the_facts)
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        "synchronized_standby_slots lists ghost does not exist: failover slot(s) dbz wait for it"
    )
    assert finding.fix is not None
    assert "ALTER SYSTEM SET synchronized_standby_slots = 'standby1';" in fix_text(finding)


def test_fail_idle_standby_is_high() -> None:
    the_facts = facts(
        settings=LISTED, slots=[physical_slot("standby1", active=False), slot(failover=True)]
    )
    result = run(RULE, the_facts)
    assert result.severity_of(result.findings[0]) is Severity.HIGH
    assert "standby1 is not in use by its standby" in result.findings[0].message


def test_edge_slots_without_failover_do_not_wait() -> None:
    the_facts = facts(
        settings=settings({"synchronized_standby_slots": "ghost"}), slots=[slot(failover=False)]
    )
    assert run(RULE, the_facts).status is Status.PASS


def test_edge_before_17_there_is_no_such_setting() -> None:
    pg16 = server(version="16.4", version_num=160004)
    the_facts = facts(server=pg16, slots=[slot(failover=True)])
    assert run(RULE, the_facts).status is Status.PASS


def test_not_evaluated_when_the_setting_was_not_read() -> None:
    assert run(RULE, facts(slots=[slot(failover=True)])).status is Status.NOT_EVALUATED


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED
