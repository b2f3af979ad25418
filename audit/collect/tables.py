"""The tables family: identity, keys, sizes, row widths, columns and activity of every table.

Two set-based queries: the catalog and statistics (tables.sql, streamed and turned into
:class:`Table` rows one at a time, so that memory holds the facts and not the result set too),
and the measured sizes of the largest tables (table_sizes.sql, which can wait on a lock and is
allowed to fail on its own).
"""

from __future__ import annotations

import sys
from typing import Any

from audit.collect.counters import counter_fragments
from audit.collect.session import Session
from audit.facts import Table
from audit.facts.models import SpecialColumn, ToastableColumn

# Repeated in many rows: one shared string each instead of one per row.
_INTERNED = ("schema_name", "owner", "parent")

# Every row sets every field, so all rows share one fields-set instead of each holding its own
# (about 2 KB per table, 100 MB of a 50,000-table inventory). pydantic never changes a frozen
# model's fields-set in place: model_copy() copies it first.
_TABLE_FIELDS = set(Table.model_fields)
_TOASTABLE_FIELDS = set(ToastableColumn.model_fields)
_SPECIAL_FIELDS = set(SpecialColumn.model_fields)


def read_tables(session: Session, version_num: int | None) -> list[Table]:
    sizes = session.attempt(
        "tables.sizes",
        lambda: {r.pop("oid"): r for r in session.rows("table_sizes")},
        consequence="every table's size is the planner's pages x block size",
    )
    fragments = counter_fragments(version_num)
    tables = [_table(row, sizes or {}) for row in session.stream("tables", fragments=fragments)]
    tables.sort(key=lambda t: (t.schema_name, t.name))
    return tables


def _table(row: dict[str, Any], sizes: dict[int, dict[str, Any]]) -> Table:
    measured = sizes.get(row.pop("oid"))
    analyzed_row_bytes = row.pop("analyzed_row_bytes")
    if measured is not None:
        row.update(measured, size_source="pg_relation_size")
    else:
        row["size_source"] = "relpages"
    if analyzed_row_bytes is not None:
        row.update(avg_row_bytes=analyzed_row_bytes, row_width_source="pg_stats")
    elif row["heap_bytes"] and row["reltuples"]:
        row.update(
            avg_row_bytes=row["heap_bytes"] / row["reltuples"], row_width_source="size/tuples"
        )
    else:
        row.update(avg_row_bytes=None, row_width_source=None)
    for key in _INTERNED:
        if row[key] is not None:
            row[key] = sys.intern(row[key])
    # Column entries have the fixed shape tables.sql builds (jsonb_build_object of text and
    # integers): constructing them unvalidated halves the time of a 50,000-table inventory.
    row["toastable_columns"] = [
        ToastableColumn.model_construct(_TOASTABLE_FIELDS, **c)
        for c in row["toastable_columns"] or ()
    ]
    row["special_columns"] = [
        SpecialColumn.model_construct(_SPECIAL_FIELDS, **c) for c in row["special_columns"] or ()
    ]
    row["generated_columns"] = row["generated_columns"] or []
    table = Table.model_validate(row)
    object.__setattr__(table, "__pydantic_fields_set__", _TABLE_FIELDS)
    return table
