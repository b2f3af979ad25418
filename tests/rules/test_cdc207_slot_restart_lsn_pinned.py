"""CDC207 slot-restart-lsn-pinned: WAL kept for a consumer that already confirmed it."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc207_slot_restart_lsn_pinned import slot_restart_lsn_pinned as RULE
from tests.factories import GIB, facts, lsn, physical_slot, run, slot


def test_pass_restart_close_to_confirmed() -> None:
    assert run(RULE, facts(slots=[slot()])).status is Status.PASS


def test_fail_pinned_by_an_old_transaction() -> None:
    s = slot(restart_lsn=lsn(0x10000000), confirmed_flush_lsn=lsn(0x10000000 + 12 * GIB))
    result = run(RULE, facts(slots=[s]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message == (
        "slot debezium keeps 12 GiB of WAL its consumer already confirmed: an old transaction "
        "pins restart_lsn"
    )
    assert finding.evidence["pinned_bytes"] == 12 * GIB


def test_edge_threshold_and_physical_slots() -> None:
    s = slot(restart_lsn=lsn(0), confirmed_flush_lsn=lsn(2 * GIB))
    assert run(RULE, facts(slots=[s])).status is Status.PASS
    assert run(RULE, facts(slots=[s]), min_bytes=GIB).status is Status.FAIL
    assert run(RULE, facts(slots=[physical_slot(confirmed_flush_lsn=None)])).status is (Status.PASS)


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED
