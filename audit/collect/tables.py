"""The tables family: identity, keys, sizes, row widths, columns and activity of every table.

Three set-based queries: the catalog and statistics (tables.sql), the sizes (table_sizes.sql,
which can wait on a lock) and the columns (columns.sql), merged by table oid.
"""

from __future__ import annotations

from typing import Any

from audit.collect.session import Session
from audit.facts import Table

# what columns.sql would say of a table without columns (it returns no row for one)
_NO_COLUMNS: dict[str, Any] = {
    "column_count": 0,
    "toastable_columns": [],
    "special_columns": [],
    "generated_columns": [],
}


def read_tables(session: Session) -> list[Table]:
    rows = session.rows("tables")
    sizes = session.attempt(
        "tables.sizes",
        lambda: {r.pop("oid"): r for r in session.rows("table_sizes")},
        consequence="heap sizes are estimated from pg_class.relpages",
    )
    columns = session.attempt(
        "tables.columns",
        lambda: {r.pop("oid"): r for r in session.rows("columns")},
        consequence="column types and TOAST-able columns are unknown",
    )
    return [_table(row, sizes, columns) for row in rows]


def _table(
    row: dict[str, Any],
    sizes: dict[int, dict[str, Any]] | None,
    columns: dict[int, dict[str, Any]] | None,
) -> Table:
    oid = row.pop("oid")
    relpages_bytes = row.pop("relpages_bytes")
    analyzed_row_bytes = row.pop("analyzed_row_bytes")
    measured = sizes.get(oid) if sizes is not None else None
    if measured is not None:
        row.update(measured, size_source="pg_relation_size")
    else:
        row.update(heap_bytes=relpages_bytes, size_source="relpages")
    if analyzed_row_bytes is not None:
        row.update(avg_row_bytes=analyzed_row_bytes, row_width_source="pg_stats")
    elif row["heap_bytes"] and row["reltuples"]:
        row.update(
            avg_row_bytes=row["heap_bytes"] / row["reltuples"], row_width_source="size/tuples"
        )
    if columns is not None:
        row.update(columns.get(oid, _NO_COLUMNS))
    return Table.model_validate(row)
