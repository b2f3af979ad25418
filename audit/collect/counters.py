"""Per-table row-change counters, read from the statistics functions directly.

The ``pg_stat_*_tables`` views also sum index scans over every relation (TOAST included) with a
GROUP BY, which costs several times more than calling the few functions we need on our own
table list. ``n_tup_newpage_upd`` exists from PostgreSQL 16 on: the queries that read it have a
``{newpage_updates}`` placeholder, filled here by version.
"""

from __future__ import annotations

from psycopg import sql

NEWPAGE_MIN_VERSION = 160000


def counter_fragments(version_num: int | None) -> dict[str, sql.Composable]:
    """SQL fragments for the version-dependent counters of the table aliased ``t``."""
    if version_num is not None and version_num >= NEWPAGE_MIN_VERSION:
        newpage: sql.Composable = sql.SQL("pg_stat_get_tuples_newpage_updated(t.oid)")
    else:
        newpage = sql.SQL("NULL::bigint")
    return {"newpage_updates": newpage}
