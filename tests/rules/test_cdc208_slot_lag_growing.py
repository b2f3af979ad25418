"""CDC208 slot-lag-growing: an active logical slot's consumer falls behind during the window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import pytest

from audit.config import ConfigError, config_from_dict
from audit.engine import Severity, Status
from audit.facts import Facts, Sampling, WalSample
from audit.facts.models import CollectionIssue, SlotPosition
from rules.cdc201_inactive_slot_retaining_wal import inactive_slot_retaining_wal as CDC201
from rules.cdc208_slot_lag_growing import slot_lag_growing as RULE
from tests.factories import GIB, MIB, NOW, facts, fix_text, lsn, physical_slot, run, settings, slot

BASE = 0x5000000
# lsn offset from BASE -> {slot: (confirmed offset from BASE, active)}
Positions = Mapping[str, tuple[int, bool]]


def position(confirmed: int, active: bool = True, slot_type: str = "logical") -> SlotPosition:
    """A slot whose restart_lsn is 1 MiB before what its consumer confirmed."""
    return SlotPosition(
        slot_type=slot_type,
        active=active,
        restart_lsn=lsn(BASE + max(confirmed - MIB, 0)),
        confirmed_flush_lsn=lsn(BASE + confirmed),
    )


def window(
    points: Sequence[tuple[int, Positions | None]],
    seconds: float = 300,
    with_lsn: bool = True,
) -> Sampling:
    """Evenly spaced samples over ``seconds``: (WAL written so far, slot positions or None)."""
    step = seconds / max(len(points) - 1, 1)
    start = NOW - timedelta(seconds=seconds)
    samples = [
        WalSample(
            at=start + timedelta(seconds=i * step),
            lsn=lsn(BASE + written) if with_lsn else None,
            slots=(
                {name: position(c, a) for name, (c, a) in positions.items()}
                if positions is not None
                else None
            ),
        )
        for i, (written, positions) in enumerate(points)
    ]
    return Sampling(
        started_at=samples[0].at,
        ended_at=samples[-1].at,
        interval_seconds=step,
        requested_seconds=seconds,
        methods=["lsn", "row_changes"] if with_lsn else ["row_changes"],
        samples=samples,
    )


def stalled(name: str = "debezium", wal: int = 512 * MIB, samples: int = 5) -> Sampling:
    """The consumer confirms nothing while ``wal`` bytes are written."""
    return window([(wal * i // (samples - 1), {name: (0, True)}) for i in range(samples)])


def test_pass_consumer_keeps_up() -> None:
    """Lag stays at 1 MiB while 1 GiB is written."""
    points = [(w, {"debezium": (max(w - MIB, 0), True)}) for w in range(0, GIB + 1, GIB // 4)]
    result = run(RULE, facts(slots=[slot()], sampling=window(points)))
    assert result.status is Status.PASS


def test_pass_without_active_logical_slots() -> None:
    assert run(RULE, facts()).status is Status.PASS
    # no slot, no sampling: nothing to judge, and nothing missing
    assert run(RULE, facts(sampling=None)).status is Status.PASS


def test_pass_consumer_confirming_in_batches_within_the_window() -> None:
    """A sawtooth (Debezium confirms on each offset flush) is not growth."""
    points = [
        (0, {"debezium": (0, True)}),
        (200 * MIB, {"debezium": (0, True)}),
        (400 * MIB, {"debezium": (390 * MIB, True)}),
        (600 * MIB, {"debezium": (390 * MIB, True)}),
        (800 * MIB, {"debezium": (790 * MIB, True)}),
    ]
    assert run(RULE, facts(slots=[slot()], sampling=window(points))).status is Status.PASS


def test_fail_stalled_consumer() -> None:
    result = run(RULE, facts(slots=[slot()], sampling=stalled()))
    [finding] = result.findings
    assert finding.subject == "slot:debezium"
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message.startswith(
        "slot debezium fell 512 MiB further behind in 5 min (1.71 MiB/s): its consumer "
        "confirmed 0 B of the 512 MiB of WAL written; at this rate it reaches "
        "max_slot_wal_keep_size (100 GiB) in "
    )
    evidence = finding.evidence
    assert evidence["lag_basis"] == "confirmed_flush_lsn"
    assert (evidence["lag_start_bytes"], evidence["lag_end_bytes"]) == (0, 512 * MIB)
    assert (evidence["retained_start_bytes"], evidence["retained_end_bytes"]) == (0, 512 * MIB)
    assert evidence["wal_written_bytes"] == 512 * MIB
    assert evidence["growth_bytes"] == 512 * MIB
    assert evidence["growth_bytes_per_second"] == round(512 * MIB / 300)
    assert evidence["window_seconds"] == 300
    assert (evidence["samples"], evidence["samples_connected"]) == (5, 5)
    assert evidence["max_slot_wal_keep_size"] == 100 * GIB
    runway = (100 * GIB - 512 * MIB) / (512 * MIB / 300)
    assert evidence["seconds_to_max_slot_wal_keep_size"] == round(runway)
    assert finding.fix is not None
    assert "FROM pg_stat_replication" in fix_text(finding)
    assert "WHERE slot_name = 'debezium'" in fix_text(finding)
    assert "logical_decoding_work_mem" in fix_text(finding)


def test_fail_slow_consumer_confirms_less_than_half() -> None:
    """1 GiB written, 300 MiB confirmed: the lag grew by 724 MiB."""
    points = [
        (0, {"debezium": (0, True)}),
        (512 * MIB, {"debezium": (150 * MIB, True)}),
        (GIB, {"debezium": (300 * MIB, True)}),
    ]
    [finding] = run(RULE, facts(slots=[slot()], sampling=window(points))).findings
    assert finding.evidence["growth_bytes"] == 724 * MIB
    assert finding.evidence["confirmed_bytes"] == 300 * MIB
    assert "confirmed 300 MiB of the 1 GiB of WAL written" in finding.message


def test_fail_without_slot_wal_limit_says_no_runway() -> None:
    unlimited = settings(max_slot_wal_keep_size="-1")
    result = run(RULE, facts(slots=[slot()], settings=unlimited, sampling=stalled()))
    [finding] = result.findings
    assert "max_slot_wal_keep_size" not in finding.message
    assert finding.evidence["seconds_to_max_slot_wal_keep_size"] is None


def test_fail_consumer_disconnected_during_the_window() -> None:
    """Active when the slots were read, gone at the end: CDC201 never saw it inactive."""
    points = [(i * 128 * MIB, {"debezium": (0, i < 2)}) for i in range(5)]
    [finding] = run(RULE, facts(slots=[slot()], sampling=window(points))).findings
    assert "of WAL written, and was disconnected at the end of the window;" in finding.message
    assert finding.evidence["samples_connected"] == 2
    assert finding.evidence["active_at_end"] is False


def test_fail_slot_created_during_the_window() -> None:
    points = [
        (0, {}),
        (128 * MIB, {"newcomer": (128 * MIB, True)}),
        (512 * MIB, {"newcomer": (128 * MIB, True)}),
    ]
    [finding] = run(RULE, facts(slots=[], sampling=window(points))).findings
    assert finding.subject == "slot:newcomer"
    assert finding.evidence["growth_bytes"] == 384 * MIB
    assert finding.evidence["plugin"] is None  # not in the slots read before the window


def test_edge_growth_under_the_threshold() -> None:
    """The consumer confirmed nothing, but only 32 MiB were written."""
    quiet = stalled(wal=32 * MIB)
    assert run(RULE, facts(slots=[slot()], sampling=quiet)).status is Status.PASS
    result = run(RULE, facts(slots=[slot()], sampling=quiet), min_growth_bytes=16 * MIB)
    assert result.status is Status.FAIL


def test_edge_consumer_confirms_more_than_half() -> None:
    """1 GiB written, 600 MiB confirmed: 424 MiB of growth, but only 41% of what was written."""
    points = [(0, {"debezium": (0, True)}), (GIB, {"debezium": (600 * MIB, True)})]
    sampling = window(points)
    assert run(RULE, facts(slots=[slot()], sampling=sampling)).status is Status.PASS
    result = run(RULE, facts(slots=[slot()], sampling=sampling), min_growth_ratio=0.4)
    assert result.status is Status.FAIL


def test_edge_slot_dropped_mid_window() -> None:
    points = [
        (0, {"debezium": (0, True)}),
        (256 * MIB, {"debezium": (0, True)}),
        (512 * MIB, {}),
    ]
    assert run(RULE, facts(slots=[slot()], sampling=window(points))).status is Status.PASS


def test_edge_inactive_slot_is_cdc201s_not_a_second_finding() -> None:
    """A slot inactive before the window and growing: reported once, by CDC201."""
    idle = slot(active=False, active_pid=None, retained_bytes=3 * GIB)
    points = [(i * 256 * MIB, {"debezium": (0, False)}) for i in range(5)]
    the_facts = facts(slots=[idle], sampling=window(points))
    assert run(RULE, the_facts).status is Status.PASS
    assert len(run(CDC201, the_facts).findings) == 1


def test_edge_physical_and_other_slots_are_not_judged() -> None:
    """A standby's physical slot lags by design of its own; another logical slot keeps up."""
    points = [
        (0, {"standby1": (0, True), "debezium": (0, True)}),
        (GIB, {"standby1": (0, True), "debezium": (GIB, True)}),
    ]
    the_facts = facts(slots=[physical_slot(), slot()], sampling=window(points))
    assert run(RULE, the_facts).status is Status.PASS


def test_edge_each_lagging_slot_is_its_own_finding() -> None:
    points = [
        (0, {"a": (0, True), "b": (0, True), "c": (0, True)}),
        (GIB, {"a": (0, True), "b": (0, True), "c": (GIB, True)}),
    ]
    the_facts = facts(slots=[slot("a"), slot("b"), slot("c")], sampling=window(points))
    assert [f.subject for f in run(RULE, the_facts).findings] == ["slot:a", "slot:b"]


def test_edge_ratio_option_is_bounded_when_the_config_loads() -> None:
    """A ratio above 1 never reaches the check: the configuration refuses it."""
    with pytest.raises(ConfigError, match=r"min_growth_ratio: 2 is out of range \(0 to 1\)"):
        config_from_dict({"rules": {"CDC208": {"min_growth_ratio": 2}}})


def test_not_evaluated_without_slot_positions() -> None:
    """A facts file from before slot positions were sampled."""
    result = run(RULE, facts(slots=[slot()]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None
    assert "slot positions were not sampled" in result.reason


def test_not_evaluated_without_the_wal_position() -> None:
    """Aurora before logical replication is on: no pg_current_wal_lsn()."""
    sampling = window([(0, {"debezium": (0, True)}), (0, {"debezium": (0, True)})], with_lsn=False)
    issue = CollectionIssue(family="sampling.lsn", reason="permission denied for function")
    result = run(RULE, facts(slots=[slot()], sampling=sampling, issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == "the WAL position was not sampled: permission denied for function"


def test_not_evaluated_without_sampling() -> None:
    issue = CollectionIssue(family="sampling", reason="sampling was skipped (sample_seconds = 0)")
    result = run(RULE, facts(slots=[slot()], sampling=None, issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None
    assert "skipped" in result.reason


def test_not_evaluated_with_a_single_sample() -> None:
    one = window([(0, {"debezium": (0, True)})])
    result = run(RULE, facts(slots=[slot()], sampling=one))
    assert result.status is Status.NOT_EVALUATED


def test_not_evaluated_when_the_slots_are_unknown() -> None:
    result = run(RULE, facts(slots=None))
    assert result.status is Status.NOT_EVALUATED


@pytest.mark.parametrize("written", [0, 64 * MIB - 1])
def test_edge_nothing_or_little_written_passes(written: int) -> None:
    points = [(0, {"debezium": (0, True)}), (written, {"debezium": (0, True)})]
    assert run(RULE, facts(slots=[slot()], sampling=window(points))).status is Status.PASS


def _roundtrip(the_facts: Facts) -> Facts:
    return Facts.model_validate_json(the_facts.model_dump_json())


def test_edge_slot_positions_survive_the_facts_file() -> None:
    the_facts = facts(slots=[slot()], sampling=stalled())
    assert run(RULE, _roundtrip(the_facts)).findings == run(RULE, the_facts).findings


def test_not_evaluated_when_reading_the_slots_failed() -> None:
    sampling = window([(0, None), (GIB, None)])
    issue = CollectionIssue(family="sampling.slots", reason="permission denied for view")
    result = run(RULE, facts(slots=[slot()], sampling=sampling, issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == "slot positions were not sampled: permission denied for view"
