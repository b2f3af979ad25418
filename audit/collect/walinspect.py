"""WAL records of the sampling window, read with pg_walinspect (PostgreSQL 15+).

The collector calls :func:`collect_walinspect` with the first and last LSN of the sampling
window. It needs the ``pg_walinspect`` extension in the audited database (it is never created
here: the session is read-only) and EXECUTE on ``pg_get_wal_records_info`` (superusers, and
on PostgreSQL 15 members of ``pg_read_server_files``). Anything missing raises
:class:`WalInspectUnavailable` with a message that says what to grant or install; the WAL
estimate then falls back to the statistics predictor.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from audit.facts.capacity import WalInspect, WalRecordGroup
from audit.facts.lsn import Lsn, format_lsn

MIN_VERSION = 150000
# reading 1 GiB of WAL takes seconds to tens of seconds; a longer window is read from its end
DEFAULT_MAX_BYTES = 1024**3


class WalInspectUnavailable(RuntimeError):
    """pg_walinspect cannot be read here; ``str(exc)`` says why and what would fix it."""


def _sql(name: str) -> str:
    return (files("audit.collect") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def collect_walinspect(
    conn: psycopg.Connection[Any],
    start_lsn: Lsn,
    end_lsn: Lsn,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> WalInspect:
    """Group the WAL records between ``start_lsn`` and ``end_lsn`` (see WalRecordGroup)."""
    if conn.info.server_version < MIN_VERSION:
        raise WalInspectUnavailable("pg_walinspect exists from PostgreSQL 15 on")
    try:
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(_sql("walinspect_check"), {})
            check = cur.fetchone()
    except psycopg.Error as exc:
        raise WalInspectUnavailable(f"cannot check for pg_walinspect: {exc}") from exc
    if check is None:
        raise WalInspectUnavailable(
            "the pg_walinspect extension is not installed in this database "
            "(a superuser can run CREATE EXTENSION pg_walinspect)"
        )
    if not check["can_execute"]:
        raise WalInspectUnavailable(
            f"no EXECUTE on {check['schema']}.pg_get_wal_records_info(pg_lsn, pg_lsn): "
            "GRANT pg_read_server_files (PostgreSQL 15) or EXECUTE on the function to this role"
        )
    start, end = start_lsn.position, end_lsn.position
    if check["flush_lsn"] is not None:
        end = min(end, Lsn(check["flush_lsn"]).position)
    if end <= start:
        raise WalInspectUnavailable(f"empty WAL range {start_lsn} .. {end_lsn}")
    truncated = end - start > max_bytes
    first = end - max_bytes if truncated else start
    query = sql.SQL(_sql("walinspect_groups")).format(schema=sql.Identifier(check["schema"]))
    params = {"start_lsn": format_lsn(first), "end_lsn": format_lsn(end)}
    try:
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
    except psycopg.Error as exc:
        raise WalInspectUnavailable(
            f"pg_get_wal_records_info({params['start_lsn']}, {params['end_lsn']}) failed: "
            f"{exc.diag.message_primary or exc}"
        ) from exc
    return WalInspect(
        start_lsn=params["start_lsn"],
        end_lsn=params["end_lsn"],
        requested_start_lsn=start_lsn,
        lsn_bytes=end - first,
        truncated=truncated,
        wal_level=check["wal_level"],
        groups=[WalRecordGroup.model_validate(row) for row in rows],
    )
