"""``collect_postgres()``: one read-only session, every fact family, then the sampling window."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg

from audit import __version__
from audit.collect import activity, instance, inventory
from audit.collect.connection import open_session, target_of
from audit.collect.connection_path import (
    HBA_GRANT,
    read_connection_path,
    read_hba_rules,
    with_last_backend_pid,
)
from audit.collect.decoding_probe import ProbeRequest, refusal, run_decoding_probe
from audit.collect.errors import one_line, secrets_in
from audit.collect.publications import read_publications
from audit.collect.read_probe import run_read_probe
from audit.collect.replication_connection import (
    not_attempted,
    probe_replication_connection,
    reason_not_to_attempt,
)
from audit.collect.role import read_role
from audit.collect.sampler import Sampler
from audit.collect.senders import read_senders
from audit.collect.server import read_server
from audit.collect.session import Session
from audit.collect.settings import read_role_settings, read_settings
from audit.collect.slots import WAL_LSN_GRANT, read_current_lsn, read_slot_stats, read_slots
from audit.collect.tables import read_tables
from audit.collect.walinspect import WalInspectUnavailable, collect_walinspect
from audit.facts import Facts, Role, Sampling, Server, Table
from audit.facts.capacity import DecodingProbe, ReadProbe, WalInspect
from audit.facts.connection import ReplicationConnection

MONITOR_GRANT = "GRANT pg_monitor TO the auditing role"
STATS_VIEWS_MIN_VERSION = 140000  # pg_stat_wal, pg_stat_replication_slots
STATS_GRANT = "GRANT pg_read_all_stats (or pg_monitor) TO the auditing role"


def _ignore(message: str) -> None:
    """Default progress callback."""


def collect_postgres(
    conninfo: str | None,
    *,
    sample_seconds: float = 60.0,
    interval: float = 5.0,
    progress: Callable[[str], None] | None = None,
    labels: Mapping[str, str] | None = None,
    read_probe: bool = True,
    decoding_probe: ProbeRequest | None = None,
) -> Facts:
    """Collect the facts of the database ``conninfo`` names (libpq conventions fill the rest).

    ``progress`` receives one message per stage and one per sample. ``sample_seconds=0``
    skips the sampling window. ``read_probe`` reads a capped number of keyset chunks of the
    largest tables after the window (read-only; it measures the snapshot read speed).
    ``decoding_probe`` (off unless given) creates a temporary logical slot and decodes a span of
    WAL: the one exception to read-only (see :mod:`audit.collect.decoding_probe`). Raises
    :class:`CollectError` only when the audit cannot run at all; anything narrower becomes an
    issue in ``Facts.issues``.
    """
    if sample_seconds < 0 or interval <= 0:
        raise ValueError("sample_seconds must be >= 0 and interval > 0")
    report = progress or _ignore
    collected_at = datetime.now(UTC)
    started = time.monotonic()
    report("connecting")
    with open_session(conninfo) as conn:
        session = Session(conn, secrets=secrets_in(conninfo))
        target = target_of(conn)
        families = _collect_families(session, report)
        report("replication connection")
        families["replication_connection"] = _replication_connection(conninfo, session, families)
        if sample_seconds > 0:
            report("sampling")
            server = families["server"]
            sampler = Sampler(session, server.version_num if server else None)
            families["sampling"] = sampler.run(sample_seconds, interval, report)
            if families["sampling"].interrupted:
                # the interrupt may have landed mid-query and left the connection busy: the
                # session is not reused, and it is closed here (leaving the block would send
                # a COMMIT on it: "another command is already in progress")
                conn.close()
                session.record(
                    "walinspect", "the WAL records were not read: the run was interrupted"
                )
            else:
                report("walinspect")
                families["walinspect"] = _inspect_window(session, families["sampling"])
            families["tables"] = advance_counters(families["tables"], families["sampling"])
        else:
            session.record("sampling", "sampling was skipped (sample_seconds = 0)")
        interrupted = families.get("sampling") is not None and families["sampling"].interrupted
        if read_probe and families["tables"] and not interrupted:
            report("read probe")
            families["read_probe"] = _probe_reads(session, families["tables"])
        elif interrupted:
            session.record("read_probe", "the read probe was skipped: the run was interrupted")
        else:
            session.record("read_probe", "the read probe was skipped (--no-read-probe)")
        if decoding_probe is not None and not interrupted:
            families["decoding_probe"] = _probe_decoding(
                conninfo, session, families, decoding_probe, report
            )
        if families["connection_path"] is not None and not interrupted:
            path = families["connection_path"]
            last = session.attempt(
                "connection_path.backend_pids", lambda: with_last_backend_pid(session, path)
            )
            families["connection_path"] = last or path
    report("done")
    return Facts(
        tool_version=__version__,
        collected_at=collected_at,
        collection_seconds=round(time.monotonic() - started, 3),
        target=target,
        labels=dict(labels or {}),
        issues=session.issues,
        **families,
    )


def _collect_families(session: Session, report: Callable[[str], None]) -> dict[str, Any]:
    """Every fact family but sampling, in order; a family that fails is None with an issue."""
    f: dict[str, Any] = {}
    attempt = session.attempt
    path_and_hba = attempt("connection_path", lambda: read_connection_path(session))
    f["connection_path"], can_read_hba = path_and_hba or (None, False)
    report("server")
    f["server"] = attempt("server", lambda: read_server(session), grant=MONITOR_GRANT)
    version = f["server"].version_num if f["server"] else None
    has_stats_views = version is None or version >= STATS_VIEWS_MIN_VERSION
    report("settings")
    f["settings"] = attempt("settings", lambda: read_settings(session))
    f["role_settings"] = attempt("role_settings", lambda: read_role_settings(session))
    report("tables")
    f["tables"] = attempt("tables", lambda: read_tables(session, version), grant=MONITOR_GRANT)
    report("slots")
    lsn = attempt("current_wal_lsn", lambda: read_current_lsn(session), grant=WAL_LSN_GRANT)
    f["current_wal_lsn"] = lsn
    f["slots"] = attempt("slots", lambda: read_slots(session, lsn))
    if has_stats_views:
        f["slot_stats"] = attempt("slot_stats", lambda: read_slot_stats(session))
    else:
        session.record("slot_stats", "pg_stat_replication_slots exists from PostgreSQL 14 on")
    f["senders"] = attempt("senders", lambda: read_senders(session), grant=STATS_GRANT)
    report("publications")
    f["publications"] = attempt("publications", lambda: read_publications(session, version))
    report("role")
    f["role"] = attempt("role", lambda: read_role(session))
    if can_read_hba:
        f["hba_rules"] = attempt("hba_rules", lambda: read_hba_rules(session), grant=HBA_GRANT)
    elif path_and_hba is not None:
        session.record("hba_rules", "no privilege to read pg_hba_file_rules", HBA_GRANT)
    report("databases")
    f["databases"] = attempt("databases", lambda: instance.read_databases(session))
    if has_stats_views:
        f["wal_stats"] = attempt("wal_stats", lambda: instance.read_wal_stats(session))
    else:
        session.record("wal_stats", "pg_stat_wal exists from PostgreSQL 14 on")
    f["archiver"] = attempt("archiver", lambda: instance.read_archiver(session))
    report("activity")
    f["sessions"] = attempt("sessions", lambda: activity.read_sessions(session))
    f["prepared_xacts"] = attempt("prepared_xacts", lambda: activity.read_prepared_xacts(session))
    _note_hidden_activity(session, f["role"])
    report("inventory")
    f["extensions"] = attempt("extensions", lambda: inventory.read_extensions(session))
    f["large_objects"] = attempt("large_objects", lambda: inventory.read_large_objects(session))
    f["sequences"] = attempt("sequences", lambda: inventory.read_sequences(session))
    f["event_triggers"] = attempt("event_triggers", lambda: inventory.read_event_triggers(session))
    f["output_plugins"] = attempt(
        "output_plugins",
        lambda: inventory.read_output_plugins(session),
        grant=inventory.PLUGIN_GRANT,
    )
    f["other_relations"] = attempt(
        "other_relations", lambda: inventory.read_other_relations(session)
    )
    return f


def _replication_connection(
    conninfo: str | None, session: Session, families: Mapping[str, Any]
) -> ReplicationConnection:
    """The audit's own replication connection, when the role may open one."""
    server: Server | None = families["server"]
    managed = server is not None and server.looks_managed
    reason = reason_not_to_attempt(families["role"], managed)
    if reason is not None:
        return not_attempted(reason)
    return probe_replication_connection(conninfo, session.secrets)


def _inspect_window(session: Session, sampling: Sampling) -> WalInspect | None:
    """The WAL records of the sampling window, when pg_walinspect can read them here."""
    lsns = [s.lsn for s in sampling.samples if s.lsn is not None]
    if len(lsns) < 2:
        return None  # the sampler recorded why there is no WAL position
    try:
        return session.attempt(
            "walinspect", lambda: collect_walinspect(session.conn, lsns[0], lsns[-1])
        )
    except WalInspectUnavailable as exc:
        session.record("walinspect", one_line(str(exc), session.secrets))
        return None


def advance_counters(tables: list[Table] | None, sampling: Sampling) -> list[Table] | None:
    """Move each table's cumulative row counters to the end of the sampling window.

    The tables are read before the window; adding what the window saw makes
    ``n_tup_*`` "since the statistics reset, up to the end of collection".
    """
    if tables is None or not sampling.table_deltas:
        return tables
    return [_advanced(table, sampling.table_deltas.get(table.qualified_name)) for table in tables]


def _advanced(table: Table, delta: Mapping[str, int] | None) -> Table:
    update = {
        name: getattr(table, name) + change
        for name, change in (delta or {}).items()
        if change and getattr(table, name, None) is not None
    }
    return table.model_copy(update=update) if update else table


def _probe_reads(session: Session, tables: list[Table]) -> ReadProbe | None:
    return session.attempt("read_probe", lambda: run_read_probe(session.conn, tables))


def _probe_decoding(
    conninfo: str | None,
    session: Session,
    families: Mapping[str, Any],
    request: ProbeRequest,
    report: Callable[[str], None],
) -> DecodingProbe | None:
    """The opt-in decoding probe, or None with the reason it did not run."""
    reason = refusal(families["settings"], families["server"], families["role"])
    if reason is not None:
        session.record("decoding_probe", reason)
        return None
    report("decoding probe")
    try:
        probe = run_decoding_probe(conninfo, request, report, session.secrets)
    except psycopg.Error as exc:
        message = one_line(exc.diag.message_primary or str(exc), session.secrets)
        session.record("decoding_probe", f"the decoding probe could not create its slot: {message}")
        return None
    if probe.error is not None:
        session.record("decoding_probe", f"the decoding probe could not decode: {probe.error}")
    return probe


def _note_hidden_activity(session: Session, role: Role | None) -> None:
    """pg_stat_activity and pg_stat_replication hide other roles' details from most roles."""
    if role is None or role.superuser or "pg_read_all_stats" in role.member_of:
        return
    for family in ("sessions", "senders"):
        session.record(
            f"{family}.other_roles",
            "only the auditing role's own sessions are visible without pg_read_all_stats",
            STATS_GRANT,
        )
