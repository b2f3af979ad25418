"""``estimates.change_stream``: the change events and bytes the consumer receives per second.

Events are the rows changed in the window (``pg_stat_user_tables`` deltas), per table. Bytes are
pgoutput protocol messages (PostgreSQL docs, "Logical Replication Message Formats"): an insert
carries the row (TOASTed values inline), an update the new row (unchanged TOASTed values sent
as a one-byte 'u'), plus the old row under REPLICA IDENTITY FULL; a delete carries the key, or
the old row under FULL. Each transaction adds a BEGIN (21 B) and a COMMIT (26 B) message. A
row's text form differs from its stored size: the range takes 0.8x to 2x.
"""

from __future__ import annotations

from collections.abc import Mapping

from audit.estimate import overhead as oh
from audit.estimate.model import ChangeStream, ChangeTable, RowWidths
from audit.estimate.result import Range
from audit.estimate.widths import has_identity_key
from audit.facts import Facts, ReplicaIdentity

MESSAGE_HEADER = 8  # type 1 + relation OID 4 + tuple kind 1 + column count 2
BEGIN_COMMIT = 21 + 26
TEXT_FACTOR = Range(0.8, 1.0, 2.0)


def _event_bytes(ops: oh.Ops, widths: RowWidths, identity: ReplicaIdentity, has_key: bool) -> Range:
    inserts = widths.flat_bytes.scale(ops.ins)
    updates = widths.tuple_bytes.scale(ops.upd)
    if identity is ReplicaIdentity.FULL:
        old = widths.flat_bytes.scale(ops.upd + ops.dele)
    elif has_key:
        old = widths.key_bytes.scale(ops.dele)
    else:
        old = Range.exact(0.0)
    headers = Range.exact(MESSAGE_HEADER * ops.changes)
    return (inserts + updates + old).times(TEXT_FACTOR) + headers


def change_stream_estimate(
    facts: Facts, widths: Mapping[str, RowWidths], window: float | None
) -> tuple[ChangeStream, float | None]:
    """The estimate, and the total change events per second (None when unknown).

    Unlogged and temporary tables are left out: their rows write no WAL, so no change of
    theirs reaches the consumer."""
    sampling = facts.sampling
    if sampling is None or window is None:
        reason = "no sampling window: row changes per second are unknown"
        return ChangeStream.unavailable(reason), None
    tables = {t.qualified_name: t for t in facts.tables or []}
    per_table: list[ChangeTable] = []
    excluded: list[str] = []
    total_events = 0.0
    total_bytes = Range.exact(0.0)
    no_width: list[str] = []
    for name, delta in sorted(sampling.table_deltas.items()):
        if name.startswith(f"{oh.CATALOG_SCHEMA}."):
            continue
        ops = oh.Ops.from_delta(delta)
        if ops.changes == 0:
            continue
        table = tables.get(name)
        if oh.writes_no_wal(name, table):
            excluded.append(name)
            continue
        events = ops.changes / window
        total_events += events
        size: Range | None = None
        if table is not None and name in widths:
            size = _event_bytes(
                ops,
                widths[name],
                table.replica_identity,
                has_identity_key(table, table.replica_identity),
            ).scale(1 / window)
            total_bytes = total_bytes + size
        else:
            no_width.append(name)
        per_table.append(ChangeTable(table=name, events_per_s=events, bytes_per_s=size))
    commits = oh.commits_in_window(facts, total_events * window)
    if commits is not None:
        total_bytes = total_bytes + commits[0].scale(BEGIN_COMMIT / window)
    per_table.sort(key=lambda r: r.events_per_s, reverse=True)
    assumptions = [
        "events = rows inserted, updated and deleted in this database over the window",
        "bytes = pgoutput messages: row / new row / key, plus the old row under FULL, "
        "text form 0.8x-2x the stored size, plus BEGIN and COMMIT per write transaction",
        "the consumer's own format (Debezium JSON or Avro envelopes, DMS target writes) is "
        "larger and is not modelled",
    ]
    if no_width:
        assumptions.append("no row width, bytes left out: " + ", ".join(no_width))
    if excluded:
        assumptions.append(
            "unlogged or temporary (no WAL, never captured), left out: " + ", ".join(excluded)
        )
    estimate = ChangeStream(
        method="row changes x pgoutput message sizes",
        inputs={"sampling.table_deltas": len(sampling.table_deltas), "window_seconds": window},
        assumptions=assumptions,
        events_per_s=total_events,
        bytes_per_s=total_bytes,
        per_table=per_table,
        excluded=excluded,
    )
    return estimate, total_events
