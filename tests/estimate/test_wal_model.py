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
    LINE_POINTER,
    PAGE,
    PAGE_HEADER,
    SCATTERED,
    Runs,
    TableShape,
    clustered_pages,
    first_touches,
    modelled_wal,
    page_churn,
    random_pages,
    record_bytes,
    split_bytes,
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


def shape(
    tuple_bytes: float = 200.0,
    free: float = 1700.0,
    heap_pages: float = 10.0,
    index_pages: float = 10.0,
    index_count: float = 1.0,
) -> TableShape:
    """Pages whose live rows leave ``free`` bytes (the rows are a multiple of 8 B wide)."""
    slot = tuple_bytes + LINE_POINTER
    return TableShape(
        tuple_bytes=Range.exact(tuple_bytes),
        heap_pages=heap_pages,
        rows_per_page=(PAGE - PAGE_HEADER - free) / slot,
        index_pages=index_pages,
        index_count=Range.exact(index_count),
        index_entry_bytes=20.0 * index_count,
        toast_bytes_per_row=0.0,
    )


def test_hot_updates_on_pages_at_their_fillfactor_prune_at_every_access_but_the_first() -> None:
    # fillfactor 80 leaves 1638 B: one more version takes the page below it, and the next
    # access prunes (heap_page_prune_opt); the first access of each page finds nothing dead
    churn = page_churn(oh.Ops(upd=20_000, hot=20_000), shape(free=1700), fillfactor=80)
    assert churn.prunes == pytest.approx(20_000 - churn.pages, rel=1e-6)
    # with room for five versions above the threshold, one access in six prunes
    roomy = page_churn(oh.Ops(upd=20_000, hot=20_000), shape(free=1700 + 5 * 200), 80)
    assert roomy.prunes == pytest.approx((20_000 - roomy.pages) / 6, rel=0.01)


def test_deletes_prune_a_full_page_until_its_free_space_reaches_the_threshold() -> None:
    # 200 B free, threshold 819 B (BLCKSZ / 10): two deleted 328 B tuples must be pruned
    churn = page_churn(oh.Ops(dele=5_000), shape(tuple_bytes=328, free=200), fillfactor=None)
    assert churn.prunes == pytest.approx(2 * churn.pages, rel=0.01)
    assert churn.prune_bytes == pytest.approx(churn.prunes * 56, rel=0.01)  # one dead offset


def test_room_on_the_page_keeps_non_hot_updates_there_before_16() -> None:
    roomy = page_churn(oh.Ops(upd=3_000), shape(free=2_500), fillfactor=70)
    # a full page seen once: the new version goes elsewhere; seen again, after pruning freed
    # the old version's space, it stays
    once = page_churn(oh.Ops(upd=3_000), shape(free=100, heap_pages=1e6), fillfactor=None)
    often = page_churn(oh.Ops(upd=3_000), shape(free=100), fillfactor=None)
    assert roomy.same_page_nonhot > 0.9 * 3_000
    assert once.same_page_nonhot < 0.01 * 3_000
    assert often.same_page_nonhot > 0.9 * 3_000
    # from 16 on n_tup_newpage_upd says it
    told = page_churn(oh.Ops(upd=3_000, newpage=1_000), shape(free=2_500), fillfactor=70)
    assert told.same_page_nonhot == 2_000


def test_index_inserts_split_leaves_only_beyond_the_room_they_have() -> None:
    few = split_bytes(oh.Ops(upd=100), shape(index_pages=1_000))
    many = split_bytes(oh.Ops(upd=100_000), shape(index_pages=10))
    assert few.expected == 0
    # 2 MB of entries into 10 leaves: about one split per half page added
    assert (
        100_000 * 20 / PAGE * 2 * 0.9
        < many.expected / (3 * PAGE / 8 + 72)
        < 100_000 * 20 / PAGE * 2
    )
    assert many.low <= many.expected <= many.high


def test_every_non_hot_update_inserts_into_every_index() -> None:
    ops = oh.Ops(upd=1_000, newpage=0)  # all stayed on their page (16+)
    one, two = record_bytes(ops, shape(index_count=1)), record_bytes(ops, shape(index_count=2))
    assert two.expected - one.expected >= 1_000 * 50


def test_a_checkpoint_seen_in_the_window_splits_it_even_when_its_second_began_before() -> None:
    """pg_control_checkpoint() truncates to the second: a checkpoint first seen in the window
    whose time is 0.3 s before the window's start began in it for all the model knows; the
    changes before it are those of the window's first interval, here none."""
    facts = no_lsn_facts(checkpoint_age=None)
    sampling = facts.sampling
    assert sampling is not None
    start = sampling.started_at
    first, last = sampling.samples
    middle = first.model_copy(
        update={"at": start + timedelta(seconds=1), "table_changes": {"public.t": [0, 0, 0, 0]}}
    )
    samples = [
        first.model_copy(update={"checkpoint_time": start - timedelta(seconds=100)}),
        middle.model_copy(update={"checkpoint_time": start - timedelta(seconds=0.3)}),
        last.model_copy(
            update={
                "checkpoint_time": start - timedelta(seconds=0.3),
                "table_changes": {"public.t": [0, 10_000, 0, 10_000]},
                "checkpoints": 11,
            }
        ),
    ]
    facts = facts.model_copy(update={"sampling": sampling.model_copy(update={"samples": samples})})
    cycle = window_cycles(facts, 1e6)
    assert cycle.signal.startswith("pg_control_checkpoint()")
    assert sum(s.share for s in cycle.segments) == pytest.approx(1.0)
    # every change after the checkpoint, none of them already imaged in its cycle
    assert cycle.segments[-1].share == pytest.approx(1.0)
    assert cycle.segments[0].before.expected == 0.0


def test_hint_images_widen_only_the_high_end_with_checksums() -> None:
    plain = no_lsn_facts(upd=10_000, hot=0, dele=5_000)
    assert plain.server is not None
    checked = plain.model_copy(
        update={"server": plain.server.model_copy(update={"data_checksums": True})}
    )
    a, b = images(plain), images(checked)
    assert (a.low, a.expected) == (b.low, b.expected)
    assert b.high > a.high


def test_a_run_of_rows_in_heap_order_visits_each_page_it_spans_once() -> None:
    # single-row changes: one visit per row whatever the order
    assert Runs(rows_per_scan=1.0, ordered=1.0).page_visits(1_000, 80) == 1_000
    # runs of 50 rows in heap order, 80 rows a page: 1 + 49/80 pages per run of 50 rows
    ordered = Runs(rows_per_scan=50.0, ordered=1.0).page_visits(1_000, 80)
    assert ordered == pytest.approx(1_000 / 50 * (1 + 49 / 80))
    # the same runs in an order unrelated to the heap: every row on its own page
    assert Runs(rows_per_scan=50.0, ordered=0.0).page_visits(1_000, 80) == 1_000
    assert SCATTERED.page_visits(1_000, 80) == 1_000


def range_facts(rows_per_scan: float, correlation: float | None, seq_share: float = 0.0) -> Facts:
    """80,000 deletes on a 100 MiB table, ``rows_per_scan`` rows per scan of the table."""
    facts = no_lsn_facts(upd=0, dele=80_000, heap_mib=100)
    assert facts.sampling is not None and facts.tables is not None
    scans = 80_000 / rows_per_scan
    table_scans = {
        "public.t": {
            "seq_scan": round(scans * seq_share),
            "idx_scan": round(scans * (1 - seq_share)),
        }
    }
    table = facts.tables[0].model_copy(update={"index_correlation": correlation})
    return facts.model_copy(
        update={
            "sampling": facts.sampling.model_copy(update={"table_scans": table_scans}),
            "tables": [table],
        }
    )


def components(facts: Facts) -> dict[str, Range]:
    modelled = modelled_wal(facts, {})
    assert modelled is not None
    return modelled.components


def test_range_deletes_in_heap_order_touch_fewer_pages_than_single_row_ones() -> None:
    single = components(range_facts(1.0, 1.0))
    ranged = components(range_facts(50.0, 1.0))
    # 80,000 rows over ~700,000: one image per row spread at random; runs of 50 share pages
    assert ranged["full_page_images"].expected < 0.3 * single["full_page_images"].expected
    # the range keeps both bounds: clustered pages low, every row on its own page high
    assert ranged["full_page_images"].low == single["full_page_images"].low
    assert ranged["full_page_images"].high == single["full_page_images"].high


@pytest.mark.parametrize(
    ("correlation", "seq_share"),
    [(None, 0.0), (0.0, 0.0), (1.0, 1.0)],
    ids=["no-statistics", "uncorrelated-index", "sequential-scans"],
)
def test_runs_count_as_scattered_unless_index_scans_follow_the_heap_order(
    correlation: float | None, seq_share: float
) -> None:
    """Many rows per scan say nothing of where they lie unless an index correlated with the
    heap order reached them."""
    scattered = components(range_facts(1.0, None))["full_page_images"]
    runs = components(range_facts(50.0, correlation, seq_share))["full_page_images"]
    assert runs.expected == pytest.approx(scattered.expected)


def test_facts_without_scans_model_every_change_as_its_own_page_visit() -> None:
    """Facts written before the scans were sampled (no table_scans) load and keep the
    scattered model."""
    facts = range_facts(50.0, 1.0)
    assert facts.sampling is not None
    old = facts.model_copy(
        update={"sampling": facts.sampling.model_copy(update={"table_scans": {}})}
    )
    assert components(old)["full_page_images"].expected == pytest.approx(
        components(range_facts(1.0, 1.0))["full_page_images"].expected
    )


def test_a_range_delete_prunes_a_page_once_per_visit_not_once_per_row() -> None:
    """heap_page_prune_opt runs when a scan moves to a heap page: 41 rows deleted per scan in
    heap order (purge_range) visit a full page about 1.5 times, and each visit after the
    first prunes what the previous one left dead."""
    full = shape(tuple_bytes=96, free=100, heap_pages=12_500)
    ops = oh.Ops(dele=330_000)
    runs = Runs(rows_per_scan=41.0, ordered=1.0)
    single, ranged = page_churn(ops, full, None), page_churn(ops, full, None, runs)
    visits = runs.page_visits(330_000, full.rows_per_page)
    assert ranged.pages == pytest.approx(random_pages(visits, 12_500))
    assert ranged.prunes == pytest.approx(visits - ranged.pages, rel=1e-6)
    # one delete a visit: a visit prunes until the freed space reaches the threshold (8 deleted
    # 96 B tuples from 100 B free to 819 B), on every page
    assert single.prunes == pytest.approx(8 * single.pages, rel=1e-6)
    assert ranged.prunes < single.prunes / 10
