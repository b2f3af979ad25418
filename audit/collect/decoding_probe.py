"""The opt-in decoding probe (``--probe-decoding SECONDS``): the one exception to read-only.

On a server already at ``wal_level=logical``, and only when asked, the probe opens a second
connection, creates a TEMPORARY logical slot named ``cdc_preflight_probe_<pid>``, waits the
span while the workload writes WAL, then decodes that WAL without consuming it
(``pg_logical_slot_peek_binary_changes`` with pgoutput and the user's publication, or
``pg_logical_slot_peek_changes`` with test_decoding when no publication is named), bounded by
the end of the span and by ``max_changes``, and times the decode. The slot is dropped
explicitly on every way out (``finally``), and the connection is closed: a temporary slot
also disappears when its session ends, whatever ends it (Ctrl-C, SIGTERM, a statement timeout,
the client killed with -9, a lost network), so nothing outlives the probe.

What it costs the server: the slot holds the WAL written during the span and the decode (at
most ``span`` x the WAL rate; ``max_slot_wal_keep_size`` still applies) and holds back the
catalog xmin for as long; the decode uses one backend on one core.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from audit.collect.connection import DEFAULT_CONNECT_TIMEOUT
from audit.collect.errors import one_line
from audit.collect.session import load_sql
from audit.facts import Role, Server, Setting
from audit.facts.capacity import DecodingProbe

APPLICATION_NAME = "cdc-preflight-decoding-probe"
SLOT_PREFIX = "cdc_preflight_probe_"
MAX_SPAN_SECONDS = 600.0
DEFAULT_MAX_CHANGES = 200_000
# creating a logical slot waits for every transaction running at that moment to end
CREATE_TIMEOUT_MS = 15_000
PEEK_TIMEOUT_MS = 120_000
RDS_REPLICATION_ROLE = "rds_replication"


class ProbeRefused(Exception):
    """The probe cannot run here; the message says why in one line (nothing was created)."""


@dataclass(frozen=True)
class ProbeRequest:
    """What the user asked for: a span, and the publication pgoutput decodes for."""

    seconds: float
    publication: str | None = None
    max_changes: int = DEFAULT_MAX_CHANGES
    create_timeout_ms: int = CREATE_TIMEOUT_MS
    peek_timeout_ms: int = PEEK_TIMEOUT_MS

    def __post_init__(self) -> None:
        if not 0 < self.seconds <= MAX_SPAN_SECONDS:
            raise ValueError(f"the decoding probe span must be 1-{MAX_SPAN_SECONDS:.0f} seconds")
        if self.max_changes < 1:
            raise ValueError("max_changes must be positive")


def slot_name(pid: int | None = None) -> str:
    return f"{SLOT_PREFIX}{os.getpid() if pid is None else pid}"


def refusal(
    settings: Mapping[str, Setting] | None, server: Server | None, role: Role | None
) -> str | None:
    """Why the probe must not run on this server, from the facts already collected."""
    wal_level = (settings or {}).get("wal_level")
    if wal_level is None:
        return "the decoding probe was not run: wal_level could not be read"
    if wal_level.value != "logical":
        return (
            f"the decoding probe was not run: it needs wal_level=logical and the server has "
            f"wal_level={wal_level.value} (nothing was created)"
        )
    if server is not None and server.in_recovery:
        return "the decoding probe was not run: the server is a standby (run it on the primary)"
    if role is None:
        return "the decoding probe was not run: the role's attributes could not be read"
    managed = server is not None and server.looks_managed
    allowed = (
        role.superuser or role.replication or (managed and RDS_REPLICATION_ROLE in role.member_of)
    )
    if not allowed:
        needs = "REPLICATION (or rds_replication)" if managed else "REPLICATION"
        return (
            f"the decoding probe was not run: role {role.name} lacks {needs}, which creating "
            f"a logical slot requires (nothing was created)"
        )
    return None


def _connect(conninfo: str | None) -> psycopg.Connection[Any]:
    given = conninfo_to_dict(conninfo or "")
    extra: dict[str, Any] = {"application_name": APPLICATION_NAME}
    if "connect_timeout" not in given and "PGCONNECT_TIMEOUT" not in os.environ:
        extra["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT
    return psycopg.connect(conninfo or "", autocommit=True, **extra)


def _timeout(conn: psycopg.Connection[Any], ms: int) -> None:
    conn.execute(f"SET statement_timeout = {int(ms)}")


def _rows(conn: psycopg.Connection[Any], name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(load_sql(name), params).fetchall()


def run_decoding_probe(
    conninfo: str | None,
    request: ProbeRequest,
    progress: Callable[[str], None] | None = None,
    secrets: list[str] | None = None,
) -> DecodingProbe:
    """Create the slot, wait the span, peek, drop; see the module docstring.

    Errors after the slot exists are kept in ``error`` (the slot is still dropped);
    :class:`KeyboardInterrupt` is re-raised after the drop."""
    report = progress or (lambda message: None)
    name = slot_name()
    plugin = "pgoutput" if request.publication else "test_decoding"
    started_at = datetime.now(UTC)
    facts: dict[str, Any] = {}
    error: str | None = None
    dropped = False
    conn = _connect(conninfo)
    try:
        _timeout(conn, request.create_timeout_ms)
        (created,) = _rows(conn, "decoding_probe_create", {"slot": name, "plugin": plugin})
        facts["start_lsn"] = created["lsn"]
        began = time.monotonic()
        try:
            _wait(request.seconds, report)
            facts["span_seconds"] = time.monotonic() - began
            (end,) = _rows(conn, "decoding_probe_end", {"start": created["lsn"]})
            facts.update(end_lsn=end["lsn"], wal_bytes=int(end["wal_bytes"]))
            report("decoding probe: decoding")
            _timeout(conn, request.peek_timeout_ms)
            query = "decoding_probe_peek_" + ("pgoutput" if request.publication else "text")
            t0 = time.monotonic()
            rows = _rows(
                conn,
                query,
                {
                    "slot": name,
                    "end": end["lsn"],
                    "max_changes": request.max_changes,
                    "publication": request.publication,
                },
            )
            facts["decode_seconds"] = time.monotonic() - t0
            facts.update(_volume(conn, rows, created["lsn"], end["lsn"], request.max_changes))
        except psycopg.Error as exc:
            error = one_line(exc.diag.message_primary or str(exc), secrets or [])
        finally:
            dropped = _drop(conn, name)
    finally:
        conn.close()  # the server drops a temporary slot when its session ends
    return DecodingProbe(
        started_at=started_at,
        ended_at=datetime.now(UTC),
        slot_name=name,
        plugin=plugin,
        publication=request.publication,
        span_seconds=facts.pop("span_seconds", 0.0),
        max_changes=request.max_changes,
        slot_dropped=dropped,
        error=error,
        **facts,
    )


def _wait(seconds: float, report: Callable[[str], None]) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        report(f"decoding probe: {seconds - left:.0f}/{seconds:.0f} s")
        time.sleep(min(1.0, left))


def _volume(
    conn: psycopg.Connection[Any],
    rows: list[dict[str, Any]],
    start: str,
    end: str,
    max_changes: int,
) -> dict[str, Any]:
    by_type = {str(r["kind"]): int(r["messages"]) for r in rows}
    messages = sum(by_type.values())
    truncated = messages >= max_changes
    last = max((r["last_lsn"] for r in rows), key=_lsn_key, default=None)
    upto = last if truncated and last is not None else end
    diff = conn.execute(
        "SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::bigint", (upto, start)
    ).fetchone()
    return {
        "messages": messages,
        "events": sum(by_type.get(k, 0) for k in "IUD"),
        "transactions": by_type.get("B", 0),
        "output_bytes": sum(int(r["bytes"] or 0) for r in rows),
        "by_type": by_type,
        "truncated": truncated,
        "decoded_wal_bytes": max(0, int(diff[0])) if diff else None,
    }


def _lsn_key(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def _drop(conn: psycopg.Connection[Any], name: str) -> bool:
    """Drop the slot; True when it is gone (an error in the session has the server drop its
    temporary slots already), False when the connection cannot tell (closing it drops it)."""
    if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    try:
        _timeout(conn, 10_000)
        conn.execute(load_sql("decoding_probe_drop"), {"slot": name})
        left = conn.execute(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s", (name,)
        ).fetchone()
        return left is not None and left[0] == 0
    except psycopg.Error:
        return False
