"""The native table-sync model and the measured-snapshot calibration, against hand-computed
figures: the per-table time (slower of publisher read and subscriber apply, plus the per-table
overhead), the longest-first queue over the sync workers, the rescale from a user's own run."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from audit.engine import get_profile
from audit.estimate import EstimateOptions, estimate_all
from audit.estimate import native_sync as ns
from audit.estimate.options import MeasuredSnapshot
from audit.estimate.result import Range
from audit.facts import Facts
from tests.factories import MIB, facts, table

# 1 ms per row, nothing per byte: a table of N rows applies in N / 1000 s, plus 0.5 s
SIMPLE = ns.SyncConstants(
    subscription_seconds=1.0,
    per_table_seconds=0.5,
    per_row_seconds=1e-3,
    per_heap_byte_seconds=0.0,
    per_toast_byte_seconds=0.0,
    per_key_index_byte_seconds=0.0,
    per_other_index_byte_seconds=0.0,
)


def _five_tables() -> Facts:
    rows = {"a": 5000.0, "b": 4000.0, "c": 3000.0, "d": 3000.0, "e": 3000.0}
    return facts(
        tables=[
            table(f"public.{name}", reltuples=n, heap_bytes=1 * MIB, index_bytes=0)
            for name, n in rows.items()
        ]
    )


@pytest.fixture
def simple(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ns, "constants_for", lambda version_num: (SIMPLE, "test constants"))


@pytest.mark.usefixtures("simple")
@pytest.mark.parametrize(
    ("workers", "expected"),
    [
        # 5.5 + 4.5 + 3.5 x 3, one after the other, + 1 s for the subscription
        (1, 21.5),
        # longest first: 5.5 | 4.5; 3.5 joins 4.5 (8.0); 3.5 joins 5.5 (9.0); 3.5 joins 8.0
        (2, 12.5),
        # 5.5 | 4.5 | 3.5 | 3.5; the last 3.5 joins a 3.5 (7.0)
        (4, 8.0),
    ],
)
def test_tables_queue_longest_first_over_the_sync_workers(workers: int, expected: float) -> None:
    options = EstimateOptions(native_sync_workers=workers)
    snapshot = estimate_all(_five_tables(), get_profile("native"), options).snapshot
    assert snapshot.seconds is not None
    assert snapshot.seconds.expected == pytest.approx(expected)
    assert snapshot.workers == workers
    # the model's range: apply and per-table overhead x 0.6 .. x 1.6, the fixed second as is
    low, high = ns.APPLY_SPREAD
    assert snapshot.seconds.low == pytest.approx((expected - 1.0) * low + 1.0)
    # the high end: no speedup from the workers, 20.5 s of tables one after the other
    assert snapshot.seconds.high == pytest.approx(20.5 * high + 1.0)
    assert [t.table for t in snapshot.per_table][:2] == ["public.a", "public.b"]
    assert snapshot.per_table[0].seconds.expected == pytest.approx(5.5)
    assert snapshot.inputs["consumer"]["per_row_seconds"] == 1e-3
    assert any("publisher's indexes" in a for a in snapshot.assumptions)


def test_heap_toast_and_index_bytes_add_to_the_apply_time() -> None:
    c = ns.SyncConstants(0.0, 0.0, 1e-6, 1e-8, 3e-8, 1e-8, 1e-7)
    one = np.array([1e6])
    work = ns.Work(rows=one, heap=np.array([1e8]), toast=np.array([1e8]), index=np.array([5e7]))
    # 1 s per million rows + 1 s per 100 MB of heap + 3 s per 100 MB of TOAST; of the 50 MB of
    # index, 22 MB (22 B x 1M rows) are the key's at 1 s per 100 MB, 28 MB others at 10x that
    assert ns.apply_seconds(work, c).tolist() == pytest.approx([1 + 1 + 3 + 0.22 + 2.8])
    no_index = ns.Work(rows=one, heap=work.heap, toast=work.toast, index=np.array([0.0]))
    assert ns.apply_seconds(no_index, c).tolist() == pytest.approx([5.0])
    key_only = ns.Work(rows=one, heap=work.heap, toast=work.toast, index=np.array([1e7]))
    assert ns.apply_seconds(key_only, c).tolist() == pytest.approx([5.1])


def test_a_slow_publisher_read_sets_the_high_end_only() -> None:
    work = ns.Work(
        rows=np.array([1000.0]), heap=np.array([1e6]), toast=np.array([0.0]), index=np.array([0.0])
    )
    # the probe reads 100 rows/s (10 s), the apply takes 1 s: COPY reads faster than the probe,
    # so the expected is the apply (1 s + 0.5 s per table) and the high end the probe's 10 s
    times = ns.table_seconds(work, Range(50.0, 100.0, 200.0), Range.exact(1e12), SIMPLE)
    assert times.expected.tolist() == pytest.approx([1.5])
    assert times.low.tolist() == pytest.approx([(1.0 + 0.5) * ns.APPLY_SPREAD[0]])
    assert times.high.tolist() == pytest.approx([10.0 + 0.5 * ns.APPLY_SPREAD[1]])


def test_constants_follow_the_publisher_major() -> None:
    old, old_note = ns.constants_for(150006)
    new, new_note = ns.constants_for(170002)
    assert "PostgreSQL 15" in old_note and "PostgreSQL 18" in new_note
    assert ns.constants_for(None)[0] == new
    assert old.per_row_seconds == new.per_row_seconds  # apply costs are common
    assert old.per_table_seconds > new.per_table_seconds


def test_explicit_consumer_rates_replace_the_native_model() -> None:
    options = EstimateOptions(consumer_rows_per_s=1000, consumer_bytes_per_s=1e12)
    snapshot = estimate_all(_five_tables(), get_profile("native"), options).snapshot
    assert snapshot.seconds is not None
    # 18,000 rows at 1,000 rows/s on 2 workers: 5 | 4, 3 -> 7 | 3 -> 8 | 3 -> 10
    assert snapshot.seconds.expected == pytest.approx(10.0)
    assert snapshot.inputs["consumer"]["source"] == "options.consumer_rows_per_s"


def test_a_measured_snapshot_rescales_a_rate_profile() -> None:
    # three tables of 8 MiB: the user's Debezium copied these 24 MiB in 100 s on one thread
    the_facts = facts(tables=[table(f"public.t{i}") for i in range(3)])
    measured = MeasuredSnapshot(seconds=100.0, bytes=24 * MIB, workers=1)
    options = EstimateOptions(measured_snapshot=measured)
    snapshot = estimate_all(the_facts, get_profile("debezium"), options).snapshot
    assert snapshot.seconds is not None
    assert snapshot.seconds.expected == pytest.approx(100.0)
    assert snapshot.seconds.low == pytest.approx(80.0)
    assert snapshot.seconds.high == pytest.approx(125.0)
    calibration = snapshot.inputs["calibration"]
    assert calibration["measured_snapshot.bytes_per_s_per_worker"] == pytest.approx(0.24 * MIB)
    assert any("measured_snapshot" in a for a in snapshot.assumptions)


def test_a_measured_snapshot_on_more_workers_is_a_faster_worker() -> None:
    the_facts = facts(tables=[table(f"public.t{i}") for i in range(3)])
    # the same 100 s with 3 threads: each thread went a third as fast as one thread alone would
    options = EstimateOptions(
        measured_snapshot=MeasuredSnapshot(seconds=100.0, bytes=24 * MIB, workers=3),
        snapshot_threads=1,
    )
    snapshot = estimate_all(the_facts, get_profile("debezium"), options).snapshot
    assert snapshot.seconds is not None and snapshot.seconds.expected == pytest.approx(300.0)


@pytest.mark.usefixtures("simple")
def test_a_measured_snapshot_rescales_the_native_apply_costs() -> None:
    # 18,000 rows took 100 s on one sync worker: 1 s subscription + 5 x 0.5 s per table come off,
    # 96.5 s of apply against the model's 18 s
    measured = MeasuredSnapshot(seconds=100.0, rows=18_000, workers=1)
    options = EstimateOptions(measured_snapshot=measured, native_sync_workers=1)
    snapshot = estimate_all(_five_tables(), get_profile("native"), options).snapshot
    assert snapshot.seconds is not None
    assert snapshot.seconds.expected == pytest.approx(100.0)
    assert snapshot.inputs["calibration"]["calibration_factor"] == pytest.approx(
        18 / 96.5, rel=1e-5
    )
    assert snapshot.inputs["consumer"]["apply_spread"] == list(ns.CALIBRATED_SPREAD)


def test_measured_snapshot_options_are_validated() -> None:
    with pytest.raises(ValidationError, match="bytes or rows"):
        MeasuredSnapshot(seconds=10.0)
    with pytest.raises(ValidationError):
        MeasuredSnapshot(seconds=0.0, bytes=1e9)
    with pytest.raises(ValidationError):
        EstimateOptions.model_validate({"measured_snapshot": {"seconds": 5, "bytez": 1}})
    parsed = EstimateOptions.model_validate({"measured_snapshot": {"seconds": 5, "rows": 1e6}})
    assert parsed.measured_snapshot == MeasuredSnapshot(seconds=5.0, rows=1e6)
    assert parsed.overrides() == {"measured_snapshot": {"seconds": 5.0, "rows": 1e6}}


def test_a_measured_run_of_fewer_tables_than_workers_counts_the_busy_workers_only() -> None:
    # one 24 MiB table took 100 s on a connector allowed 4 threads: one thread did the work
    the_facts = facts(tables=[table(f"public.t{i}") for i in range(3)])
    measured = MeasuredSnapshot(seconds=100.0, bytes=24 * MIB, workers=4, tables=1)
    options = EstimateOptions(measured_snapshot=measured, snapshot_threads=1)
    snapshot = estimate_all(the_facts, get_profile("debezium"), options).snapshot
    assert snapshot.seconds is not None and snapshot.seconds.expected == pytest.approx(100.0)
    assert snapshot.inputs["calibration"]["measured_snapshot.tables"] == 1


@pytest.mark.usefixtures("simple")
@pytest.mark.parametrize(("cpus", "shared"), [(4.0, False), (1.0, False), (1.5, True)])
def test_more_sync_workers_than_cores_gain_nothing_past_the_cpu_work(
    cpus: float, shared: bool
) -> None:
    # 18 s of apply (5,000 + 4,000 + 3 x 3,000 rows at 1 ms) and the measured CPU per table
    subscriber = 18.0 * ns.CPU.subscriber_per_apply_second + 5 * ns.CPU.subscriber_per_table
    publisher = 5 * MIB * ns.CPU.publisher_per_byte + 5 * ns.CPU.publisher_per_table
    floor = (subscriber + (publisher if shared else 0.0)) / cpus
    # on 4 cores the floor (about 4.5 s) is under the queue's 8.0 s for 4 workers; on 1 core
    # the workers take turns (about 18 s); + 1 s for the subscription
    expected = max(floor, 7.0) + 1.0
    assert (floor < 7.0) == (cpus == 4.0)
    options = EstimateOptions(
        native_sync_workers=4, native_sync_cpus=cpus, native_sync_shared_host=shared
    )
    snapshot = estimate_all(_five_tables(), get_profile("native"), options).snapshot
    assert snapshot.seconds is not None
    assert snapshot.seconds.expected == pytest.approx(expected, rel=1e-5)  # six digits kept
    assert snapshot.inputs["consumer"]["cores"] == cpus
    assert any("native_sync_cpus" in a for a in snapshot.assumptions)
    # the high end (no speedup at all) stays above the floor
    assert snapshot.seconds.high >= snapshot.seconds.expected


def test_a_shared_host_without_its_cores_is_refused() -> None:
    with pytest.raises(ValidationError, match="native_sync_cpus"):
        EstimateOptions(native_sync_shared_host=True)


def test_without_cores_the_report_says_it_assumes_one_per_worker() -> None:
    snapshot = estimate_all(
        _five_tables(), get_profile("native"), EstimateOptions(native_sync_workers=3)
    ).snapshot
    assert any("free CPU core per sync worker" in a for a in snapshot.assumptions)
    assert "cores" not in snapshot.inputs["consumer"]
