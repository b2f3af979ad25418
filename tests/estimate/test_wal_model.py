"""The row-change WAL model (no WAL position readable): physics on fact fixtures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.engine import get_profile
from audit.estimate import estimate_all
from audit.estimate import overhead as oh
from audit.estimate.result import Range
from audit.estimate.wal_model import (
    PAGE,
    TableShape,
    clustered_pages,
    first_touches,
    modelled_wal,
    random_pages,
    record_bytes,
    window_cycles,
)
from audit.facts import Facts, Setting, WalSample
from tests import factories as f

MIB = 1024**2


def no_lsn_facts(
    upd: int = 10_000,
    hot: int | None = None,
    ins: int = 0,
    dele: int = 0,
    heap_mib: int = 100,
    checkpoints: int | None = 0,
    checkpoint_age: float | None = 0.0,
    seconds: float = 60.0,
) -> Facts:
    """A 60 s window where no WAL position was readable, on one table of ``heap_mib`` MiB."""
    rows = heap_mib * MIB // 150
    sampling = f.sampling(
        seconds=seconds,
        wal=None,
        table_deltas={
            "public.t": {
                "n_tup_ins": ins,
                "n_tup_upd": upd,
                "n_tup_del": dele,
                "n_tup_hot_upd": upd if hot is None else hot,
            }
        },
        methods=["row_changes"],
    )
    first, last = sampling.samples
    start = sampling.started_at
    extra_first: dict[str, object] = {"xact_commit": 0}
    extra_last: dict[str, object] = {"xact_commit": upd + ins + dele}
    if checkpoints is not None:
        extra_first["checkpoints"], extra_last["checkpoints"] = 10, 10 + checkpoints
    if checkpoint_age is not None:
        at = start - timedelta(seconds=checkpoint_age)
        extra_first["checkpoint_time"] = extra_last["checkpoint_time"] = at
    samples: list[WalSample] = [
        first.model_copy(update=extra_first),
        last.model_copy(update=extra_last),
    ]
    table = f.table(
        "public.t",
        reltuples=float(rows),
        heap_bytes=heap_mib * MIB,
        index_bytes=rows * 24,
        toast_bytes=0,
        avg_row_bytes=150.0,
    )
    return f.facts(
        sampling=sampling.model_copy(update={"samples": samples}),
        tables=[table],
        settings=f.settings(
            checkpoint_timeout=Setting(name="checkpoint_timeout", value="300", unit="s"),
            max_wal_size=Setting(name="max_wal_size", value="1024", unit="MB"),
            wal_level="replica",
        ),
    )


def total(facts: Facts) -> Range:
    modelled = modelled_wal(facts, {})
    assert modelled is not None
    return modelled.total


def images(facts: Facts) -> Range:
    modelled = modelled_wal(facts, {})
    assert modelled is not None
    return modelled.components["full_page_images"]


def test_more_row_changes_never_less_wal() -> None:
    smaller, larger = total(no_lsn_facts(upd=1_000)), total(no_lsn_facts(upd=50_000))
    assert smaller.expected < larger.expected
    assert smaller.low <= larger.low and smaller.high <= larger.high


def test_the_same_changes_over_more_pages_log_more_images() -> None:
    small, large = images(no_lsn_facts(heap_mib=10)), images(no_lsn_facts(heap_mib=1000))
    assert small.expected < large.expected
    assert small.high <= large.high


def test_checkpoints_in_the_window_add_images() -> None:
    # a small hot table: every page is touched in each cycle, so each checkpoint adds them again
    none, two = (
        images(no_lsn_facts(heap_mib=2, checkpoints=n, checkpoint_age=None)) for n in (0, 2)
    )
    assert none.expected < two.expected
    assert two.expected <= 3 * none.high + 1


def test_a_window_late_in_its_cycle_logs_fewer_images_than_one_right_after_a_checkpoint() -> None:
    fresh = images(no_lsn_facts(heap_mib=20, checkpoint_age=0.0))
    late = images(no_lsn_facts(heap_mib=20, checkpoint_age=600.0))
    assert late.expected < fresh.expected


def test_images_never_exceed_one_per_page_and_cycle() -> None:
    facts = no_lsn_facts(upd=2_000_000, heap_mib=4, checkpoints=0)
    modelled = modelled_wal(facts, {})
    assert modelled is not None
    heap_pages = 4 * MIB / PAGE
    index_pages = facts.tables[0].index_bytes / PAGE  # type: ignore[index,operator]
    assert modelled.components["full_page_images"].high <= (heap_pages + index_pages) * (PAGE + 28)
    share = modelled.components["full_page_images"].expected / modelled.total.expected
    assert 0.0 < share < 0.2  # a hot 4 MiB table: records dominate, not images


def test_random_pages_lie_between_clustered_and_every_change_on_its_own_page() -> None:
    for changes, pages in ((10, 1000), (1000, 1000), (100_000, 1000)):
        spread = random_pages(changes, pages)
        assert clustered_pages(changes, pages, 50) <= spread <= min(changes, pages)


def test_hot_updates_cost_less_than_cross_page_updates() -> None:
    shape = TableShape.of(None, None)
    hot = record_bytes(oh.Ops(upd=1000, hot=1000), shape)
    cold = record_bytes(oh.Ops(upd=1000, hot=0), shape)
    assert hot.expected < cold.expected
    assert hot.low <= hot.expected <= hot.high


def test_appended_inserts_touch_no_old_heap_page() -> None:
    facts = no_lsn_facts()
    shape = TableShape.of(facts.tables[0], None)  # type: ignore[index]
    cycle = window_cycles(facts, 1e6)
    touched = first_touches(oh.Ops(ins=100_000), shape, cycle.segments)
    assert touched.heap.expected <= 1.0
    assert touched.heap.high > touched.heap.expected  # unless they fill free space anywhere


@pytest.mark.parametrize(
    ("checkpoints", "age", "signal"),
    [
        (0, 5.0, "pg_control_checkpoint"),
        (1, None, "checkpoints counted"),
        (None, None, "checkpoint_timeout"),
    ],
)
def test_the_model_says_which_checkpoint_signal_it_used(
    checkpoints: int | None, age: float | None, signal: str
) -> None:
    modelled = modelled_wal(no_lsn_facts(checkpoints=checkpoints, checkpoint_age=age), {})
    assert modelled is not None
    assert signal in modelled.inputs["checkpoint_signal"]
    assert modelled.assumptions[0].startswith("modelled from row changes and checkpoints, not")


def test_the_rate_method_carries_the_model_range_and_says_it_is_modelled() -> None:
    est = estimate_all(no_lsn_facts(), get_profile("generic"))
    rate = est.wal.current_bytes_per_s
    assert rate.method == "row_changes"
    assert rate.range is not None and rate.range.low < rate.range.high
    assert any("not measured" in a for a in rate.assumptions)


@given(
    heap=st.integers(0, 10**12),
    index=st.integers(0, 10**12),
    rows=st.floats(0, 1e10, allow_nan=False),
)
@settings(max_examples=300, deadline=None)
def test_any_table_shape_has_ordered_ranges(heap: int, index: int, rows: float) -> None:
    """Found live: an index of ~39 bytes per row made the index count's expected exceed its
    high end, and the whole analysis failed."""
    shape = TableShape.of(f.table(heap_bytes=heap, index_bytes=index, reltuples=rows), None)
    count = shape.index_count
    assert count.low <= count.expected <= count.high
