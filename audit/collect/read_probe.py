"""The bounded read probe: keyset-chunk reads of the largest tables, timed.

Each probed table is read the way an incremental snapshot reads it,
``SELECT * FROM t WHERE (key) > (last) ORDER BY key LIMIT chunk_rows``, inside a read-only
transaction with ``statement_timeout``. The probe stops at ``max_bytes`` (rows read x their
average width) or ``max_seconds`` in total, whichever comes first, split evenly over the
tables. Rows stay in the libpq result (only the last key is decoded), so the probe measures
the database, the wire and libpq, not Python (wal_overhead.md §5). It writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

import psycopg
from psycopg import sql

from audit.facts import Table, TableKind
from audit.facts.capacity import ReadProbe, ReadProbeTable

DEFAULT_MAX_BYTES = 256 * 1024**2
DEFAULT_MAX_SECONDS = 10.0
DEFAULT_CHUNK_ROWS = 1024
DEFAULT_STATEMENT_TIMEOUT_MS = 5_000
DEFAULT_MAX_TABLES = 3


def _sql(name: str) -> str:
    return (files("audit.collect") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def probe_candidates(
    tables: Sequence[Table], max_tables: int
) -> tuple[list[Table], dict[str, str]]:
    """The largest ordinary tables with a primary key that we may read; why others are skipped."""
    ranked = sorted(
        (t for t in tables if t.kind is TableKind.ORDINARY and (t.heap_bytes or 0) > 0),
        key=lambda t: t.heap_bytes or 0,
        reverse=True,
    )
    chosen: list[Table] = []
    skipped: dict[str, str] = {}
    for table in ranked:
        if len(chosen) == max_tables:
            break
        if not table.primary_key:
            skipped[table.qualified_name] = "no primary key to read in keyset chunks"
        elif table.can_select is False:
            skipped[table.qualified_name] = "no SELECT privilege"
        else:
            chosen.append(table)
    return chosen, skipped


def _probe_table(
    conn: psycopg.Connection[Any],
    table: Table,
    *,
    chunk_rows: int,
    max_bytes: float,
    deadline: float,
    statement_timeout_ms: int,
) -> ReadProbeTable:
    assert table.primary_key
    relation = sql.Identifier(table.schema_name, table.name)
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in table.primary_key)
    key_widths = tuple(
        sql.SQL(" + ").join(
            sql.SQL(expression).format(sql.Identifier(k)) for k in table.primary_key
        )
        for expression in ("pg_column_size(t.{})", "octet_length(t.{}::text)")
    )
    seconds: list[float] = []
    counts: list[int] = []
    widths: tuple[float | None, ...] | None = None
    stopped_by, error = "end_of_table", None
    last: tuple[Any, ...] | None = None
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SET LOCAL transaction_read_only = on")
            cur.execute(
                sql.SQL("SET LOCAL statement_timeout = {}").format(
                    sql.Literal(str(statement_timeout_ms))
                )
            )
            while True:
                after: sql.Composable = sql.SQL("")
                if last is not None:
                    marks = sql.SQL(", ").join([sql.Placeholder()] * len(last))
                    after = sql.SQL("WHERE ({}) > ({})").format(keys, marks)
                query = sql.SQL(_sql("read_probe_chunk")).format(
                    table=relation, keys=keys, after=after, limit=sql.Literal(chunk_rows)
                )
                began = time.perf_counter()
                cur.execute(query, last)
                seconds.append(time.perf_counter() - began)
                rows = cur.rowcount
                counts.append(rows)
                if widths is None:
                    widths = _widths(conn, relation, keys, key_widths, chunk_rows)
                if rows < chunk_rows:
                    break
                names = [column.name for column in cur.description or []]
                cur.scroll(rows - 1, mode="absolute")
                row = cur.fetchone()
                assert row is not None
                last = tuple(row[names.index(k)] for k in table.primary_key)
                if sum(counts) * ((widths or (None,))[0] or 0) >= max_bytes:
                    stopped_by = "bytes"
                    break
                if time.monotonic() >= deadline:
                    stopped_by = "time"
                    break
    except psycopg.Error as exc:
        stopped_by, error = "error", exc.diag.message_primary or str(exc)
        if len(seconds) > len(counts):
            seconds.pop()
    return ReadProbeTable(
        table=table.qualified_name,
        key_columns=list(table.primary_key),
        chunk_rows=chunk_rows,
        chunk_seconds=seconds,
        chunk_row_counts=counts,
        avg_row_bytes=widths[0] if widths else None,
        avg_key_bytes=widths[1] if widths else None,
        avg_text_bytes=widths[2] if widths else None,
        avg_key_text_bytes=widths[3] if widths else None,
        stopped_by=stopped_by,
        error=error,
    )


def _widths(
    conn: psycopg.Connection[Any],
    relation: sql.Composable,
    keys: sql.Composable,
    key_widths: tuple[sql.Composable, ...],
    limit: int,
) -> tuple[float | None, ...]:
    query = sql.SQL(_sql("read_probe_widths")).format(
        table=relation,
        keys=keys,
        key_width=key_widths[0],
        key_text_width=key_widths[1],
        limit=sql.Literal(limit),
    )
    with conn.cursor() as cur:
        cur.execute(query)
        row = cur.fetchone()
    if row is None:
        return None, None, None, None
    return tuple(row)


def run_read_probe(
    conn: psycopg.Connection[Any],
    tables: Sequence[Table],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    max_tables: int = DEFAULT_MAX_TABLES,
) -> ReadProbe:
    """Read the largest tables in keyset chunks within the caps; see the module docstring."""
    if chunk_rows < 1 or max_bytes < 1 or max_seconds <= 0:
        raise ValueError("chunk_rows, max_bytes and max_seconds must be positive")
    chosen, skipped = probe_candidates(tables, max_tables)
    started_at = datetime.now(UTC)
    start = time.monotonic()
    results: list[ReadProbeTable] = []
    bytes_left = float(max_bytes)
    for index, table in enumerate(chosen):
        remaining = len(chosen) - index
        time_left = max_seconds - (time.monotonic() - start)
        if time_left <= 0 or bytes_left <= 0:
            skipped[table.qualified_name] = "probe budget spent on larger tables"
            continue
        result = _probe_table(
            conn,
            table,
            chunk_rows=chunk_rows,
            max_bytes=bytes_left / remaining,
            deadline=time.monotonic() + time_left / remaining,
            statement_timeout_ms=statement_timeout_ms,
        )
        bytes_left -= result.rows * (result.avg_row_bytes or 0)
        results.append(result)
    return ReadProbe(
        started_at=started_at,
        ended_at=datetime.now(UTC),
        max_bytes=max_bytes,
        max_seconds=max_seconds,
        chunk_rows=chunk_rows,
        statement_timeout_ms=statement_timeout_ms,
        tables=results,
        skipped=skipped,
    )
