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


CHECKPOINTER_MIN_VERSION = 170000  # pg_stat_checkpointer replaces pg_stat_bgwriter's columns
CHECKPOINTS_DONE_MIN_VERSION = 180000  # num_done: completed ones (num_timed counts skipped too)


def checkpoint_fragments(version_num: int | None) -> dict[str, sql.Composable]:
    """SQL fragments of ``sample_checkpoints.sql`` for this server version."""
    version = version_num or 0
    if version >= CHECKPOINTS_DONE_MIN_VERSION:
        done = "num_done"
    elif version >= CHECKPOINTER_MIN_VERSION:
        done = "num_timed + num_requested"
    else:
        return {
            "checkpoints": sql.SQL("checkpoints_timed + checkpoints_req"),
            "buffers": sql.SQL("buffers_checkpoint"),
            "view": sql.SQL("pg_stat_bgwriter"),
        }
    return {
        "checkpoints": sql.SQL(done),
        "buffers": sql.SQL("buffers_written"),
        "view": sql.SQL("pg_stat_checkpointer"),
    }
