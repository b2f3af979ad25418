"""CDC206 slot-spills-to-disk: decoding memory too small for the transactions decoded."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc206_slot_spills_to_disk import slot_spills_to_disk as RULE
from tests.factories import GIB, MIB, facts, fix_text, run, slot_stats


def test_pass_no_spills() -> None:
    assert run(RULE, facts(slot_stats=[slot_stats()])).status is Status.PASS


def test_fail_heavy_spill() -> None:
    stats = slot_stats(spill_txns=340, spill_count=900, spill_bytes=12 * GIB, total_bytes=34 * GIB)
    result = run(RULE, facts(slot_stats=[stats]))
    [finding] = result.findings
    assert finding.subject == "slot:debezium"
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message == (
        "slot debezium spilled 12 GiB to disk in 340 transaction(s) since 2026-10-23, 35% of the "
        "34 GiB decoded with logical_decoding_work_mem 64 MiB"
    )
    assert finding.fix is not None
    assert fix_text(finding).startswith("ALTER ROLE cdc SET logical_decoding_work_mem = '256MB';")


def test_edge_small_or_rare_spills_pass() -> None:
    small = slot_stats(spill_bytes=500 * MIB, total_bytes=1 * GIB)
    rare = slot_stats(spill_bytes=2 * GIB, total_bytes=100 * GIB)
    assert run(RULE, facts(slot_stats=[small, rare])).status is Status.PASS
    assert run(RULE, facts(slot_stats=[rare]), min_spill_percent=1).status is Status.FAIL


def test_edge_slot_that_decoded_nothing() -> None:
    idle = slot_stats(spill_bytes=0, total_bytes=0)
    assert run(RULE, facts(slot_stats=[idle])).status is Status.PASS


def test_not_evaluated_without_slot_stats() -> None:
    assert run(RULE, facts(slot_stats=None)).status is Status.NOT_EVALUATED
