"""The snapshot plan and the row widths the estimates work out once, against hand-computed
figures: per-table copy times for all tables at once, the alternative mode derived from the
same times, the widths read on demand."""

from __future__ import annotations

import pytest

from audit.engine import get_profile
from audit.estimate import EstimateOptions, estimate_all
from audit.estimate.options import RowWidthOverride
from audit.estimate.recommend import chunk_size
from audit.estimate.wal import TableWidths
from audit.estimate.widths import row_widths
from audit.facts import Facts
from tests.factories import MIB, facts, table

# the consumer (1,000 rows/s, bytes never binding) is slower than the database at every end:
# a table of N rows takes N / 1000 s
SLOW_CONSUMER = {"consumer_rows_per_s": 1000, "consumer_bytes_per_s": 1e12}


def _three_tables() -> Facts:
    return facts(
        tables=[
            table("public.a", reltuples=2000.0, heap_bytes=2 * MIB),
            table("public.b", reltuples=5000.0, heap_bytes=5 * MIB),
            table("public.c", reltuples=2000.0, heap_bytes=4 * MIB),
        ]
    )


def test_initial_snapshot_per_table_times_and_the_incremental_alternative() -> None:
    snapshot = estimate_all(
        _three_tables(), get_profile("debezium"), EstimateOptions(**SLOW_CONSUMER)
    ).snapshot
    # longest first; a and c tie at 2 s and keep their table order
    assert [(t.table, t.seconds.expected) for t in snapshot.per_table] == [
        ("public.b", 5.0),
        ("public.a", 2.0),
        ("public.c", 2.0),
    ]
    assert snapshot.seconds is not None and snapshot.seconds.expected == 9.0  # one worker
    # incremental: 2 + 5 + 2 chunks of 1024 rows, 10-50-500 ms of watermark each
    alternative = snapshot.alternatives["debezium_incremental"].seconds
    assert alternative.low == pytest.approx(9.0 + 9 * 0.01)
    assert alternative.expected == pytest.approx(9.0 + 9 * 0.05)
    assert alternative.high == pytest.approx(9.0 + 9 * 0.5)


def test_incremental_snapshot_holds_one_chunk_and_offers_the_initial_alternative() -> None:
    options = EstimateOptions(snapshot_mode="incremental", snapshot_threads=2, **SLOW_CONSUMER)
    snapshot = estimate_all(_three_tables(), get_profile("debezium"), options).snapshot
    assert snapshot.mode == "debezium_incremental"
    assert [t.seconds.expected for t in snapshot.per_table] == pytest.approx(
        [5.0 + 5 * 0.05, 2.0 + 2 * 0.05, 2.0 + 2 * 0.05]
    )
    # the slot advances with each offset flush (60 s) plus one 1024-row chunk (1.024 s)
    assert snapshot.hold_seconds is not None
    assert snapshot.hold_seconds.expected == pytest.approx(60 + 1.024)
    # initial on 2 workers: b on one, a then c on the other
    assert snapshot.alternatives["debezium_initial"].seconds.expected == 5.0


def test_native_table_sync_holds_wal_for_the_longest_table() -> None:
    snapshot = estimate_all(
        _three_tables(), get_profile("native"), EstimateOptions(**SLOW_CONSUMER)
    ).snapshot
    assert snapshot.hold_seconds is not None and snapshot.hold_seconds.expected == 5.0


def test_table_widths_give_what_row_widths_gives_for_each_table() -> None:
    wide = table("public.wide", avg_row_bytes=900.0)
    unknown = table("public.unknown", avg_row_bytes=None)
    overridden = table("public.overridden", avg_row_bytes=None)
    override = RowWidthOverride(tuple_bytes=77.0)
    the_facts = facts(tables=[table(), wide, unknown, overridden])
    options = EstimateOptions(row_widths={"public.overridden": override})
    widths = TableWidths(the_facts, options)
    assert widths["public.wide"] == row_widths(wide)
    assert widths["public.overridden"] == row_widths(overridden, override=override)
    assert "public.unknown" not in widths and "public.nope" not in widths
    with pytest.raises(KeyError):
        widths["public.unknown"]
    assert list(widths) == ["public.t", "public.wide", "public.overridden"]
    assert len(widths) == 3
    assert widths["public.wide"] is widths["public.wide"]  # worked out once


def test_chunk_size_reads_the_widest_of_the_five_largest_tables_with_a_width() -> None:
    tables = [
        table("public.huge", heap_bytes=900 * MIB, avg_row_bytes=None),  # no width: skipped
        *(table(f"public.t{i}", heap_bytes=(10 + i) * MIB, avg_row_bytes=100.0) for i in range(5)),
        table("public.small_wide", heap_bytes=1 * MIB, avg_row_bytes=5000.0),  # 6th: not read
    ]
    the_facts = facts(tables=tables)
    setting = chunk_size(the_facts, TableWidths(the_facts, EstimateOptions()))
    width = row_widths(tables[1])
    assert width is not None
    assert setting.inputs == {
        "widest row among the 5 largest tables (bytes, TOAST inline)": width.flat_bytes.expected
    }
