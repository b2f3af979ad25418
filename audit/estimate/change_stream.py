"""``estimates.change_stream``: the change events and bytes the consumer receives per second.

Events are the rows changed in the window (``pg_stat_user_tables`` deltas), per table. Bytes are
pgoutput protocol messages, protocol 1, text mode (PostgreSQL docs, "Logical Replication Message
Formats"): a message header (type, relation OID, tuple kind: 6 B) and per tuple a column count
(2 B) and per column a kind byte and a 4-byte length before the value's text. An insert
carries the row (TOASTed and compressed values expanded), an update the new row (unchanged
TOASTed values sent as a one-byte 'u'), plus the old row under REPLICA IDENTITY FULL; a delete
carries the key (the other columns as one-byte nulls), or the old row under FULL. Each
transaction adds a BEGIN (21 B) and a COMMIT (26 B) message.

The text of a row is measured by the read probe (``octet_length(t::text)``) for the tables it
reads; for the others it is the stored width without the 24-byte tuple header, x 0.8 to 2
(numbers and timestamps are longer as text; compressed values can be much longer, which only
the probe sees). bench/change_stream_bench.py measures the error (docs/accuracy.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.estimate import overhead as oh
from audit.estimate.model import ChangeStream, ChangeTable, RowWidths
from audit.estimate.probed import probed_stream
from audit.estimate.result import Range
from audit.estimate.widths import has_identity_key
from audit.facts import Facts, ReplicaIdentity

MESSAGE_HEADER = 6  # type 1 + relation OID 4 + tuple kind 1 ('N', 'K' or 'O')
TUPLE_HEADER = 2  # column count
COLUMN_HEADER = 5  # kind 't' 1 + length 4 (a null or an unchanged TOASTed value: 1)
BEGIN_COMMIT = 21 + 26
HEAP_TUPLE_HEADER = 24  # in stored widths (pg_stats + 24, pg_column_size(t.*)), not in the text
TEXT_FACTOR = Range(0.8, 1.0, 2.0)
DEFAULT_COLUMNS = 8  # when the column count was not collected
TOAST_POINTER_SAVING = 18 + COLUMN_HEADER - 1  # an unchanged TOASTed value: 'u' instead


def _values(stored: Range, text: Range | None, columns: int) -> Range:
    """The text of a tuple's values: measured (record text less its parentheses and commas),
    else the stored width less the tuple header, x 0.8-2."""
    if text is not None:
        return (text + Range.exact(-(columns + 1.0))).clamp_low(0.0)
    return (stored + Range.exact(-HEAP_TUPLE_HEADER)).clamp_low(0.0).times(TEXT_FACTOR)


def _event_bytes(
    ops: oh.Ops,
    widths: RowWidths,
    identity: ReplicaIdentity,
    has_key: bool,
    columns: int,
    key_columns: int,
    toastable: int = 0,
) -> Range:
    row = _values(widths.flat_bytes, widths.text_bytes, columns)
    tuple_overhead = TUPLE_HEADER + COLUMN_HEADER * columns
    full = row + Range.exact(MESSAGE_HEADER + tuple_overhead)
    # an update's new row: TOASTed values left unchanged go as 'u', so the on-page share of the
    # row (tuple / flat width) is what is sent
    flat, on_page = widths.flat_bytes.expected, widths.tuple_bytes.expected
    share = min(1.0, max(on_page - HEAP_TUPLE_HEADER, 0.0) / max(flat - HEAP_TUPLE_HEADER, 1.0))
    new_row = row.scale(share) + Range.exact(MESSAGE_HEADER + tuple_overhead)
    if share < 1.0 and toastable:
        # each value left in TOAST counts above as its 18 B pointer and a 5 B header: 1 B is sent
        new_row = (new_row + Range.exact(-TOAST_POINTER_SAVING * toastable)).clamp_low(
            MESSAGE_HEADER + TUPLE_HEADER + columns
        )
    inserts = full.scale(ops.ins)
    updates = new_row.scale(ops.upd)
    if identity is ReplicaIdentity.FULL:
        old = (row + Range.exact(1 + tuple_overhead)).scale(ops.upd) + full.scale(ops.dele)
    elif has_key:
        key_text = widths.key_text_bytes or widths.key_bytes.times(TEXT_FACTOR)
        key_message = key_text + Range.exact(
            MESSAGE_HEADER + TUPLE_HEADER + COLUMN_HEADER * key_columns + (columns - key_columns)
        )
        old = key_message.scale(ops.dele)
    else:
        old = Range.exact(0.0)
    return inserts + updates + old


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
            columns = table.column_count or DEFAULT_COLUMNS
            keys = len(table.primary_key or []) or 1
            size = _event_bytes(
                ops,
                widths[name],
                table.replica_identity,
                has_identity_key(table, table.replica_identity),
                columns,
                min(keys, columns),
                len(table.toastable_columns or []) if table.toast_bytes else 0,
            ).scale(1 / window)
            total_bytes = total_bytes + size
        else:
            no_width.append(name)
        per_table.append(ChangeTable(table=name, events_per_s=events, bytes_per_s=size))
    return _finish(facts, window, per_table, total_events, total_bytes, no_width, excluded)


def _finish(
    facts: Facts,
    window: float,
    per_table: list[ChangeTable],
    total_events: float,
    total_bytes: Range,
    no_width: list[str],
    excluded: list[str],
) -> tuple[ChangeStream, float]:
    """Transactions' BEGIN and COMMIT, the decoding probe's measurement, the assumptions."""
    assert facts.sampling is not None
    commits = oh.commits_in_window(facts, total_events * window)
    if commits is not None:
        total_bytes = total_bytes + commits[0].scale(BEGIN_COMMIT / window)
    per_table.sort(key=lambda r: r.events_per_s, reverse=True)
    method = "row changes x pgoutput message sizes"
    inputs: dict[str, Any] = {
        "sampling.table_deltas": len(facts.sampling.table_deltas),
        "window_seconds": window,
    }
    probed = probed_stream(facts.decoding_probe)
    if probed is not None:
        inputs.update(
            model_events_per_s=total_events,
            model_bytes_per_s=total_bytes.as_dict(),
            probe_seconds=probed.seconds,
        )
        method = probed.description
        total_events = probed.events_per_s
        if probed.bytes_per_s is not None:
            total_bytes = probed.bytes_per_s
    assumptions = [
        "events = rows inserted, updated and deleted in this database over the window",
        "bytes = pgoutput protocol 1 messages: 6 B header, 2 B per tuple and 5 B per column, "
        "the row / new row (unchanged TOASTed values 1 B) / key, plus the old row under FULL, "
        "plus BEGIN and COMMIT per write transaction; relation messages (once per table and "
        "session) left out",
        "row text measured by the read probe (octet_length(t::text)) where it read the table, "
        "else the stored width without its 24 B header x 0.8-2 (compressed values can be "
        "longer)",
        "the consumer's own format (Debezium JSON or Avro envelopes, DMS target writes) is "
        "larger and is not modelled",
    ]
    if probed is not None:
        assumptions.append(
            "totals from the decoding probe's span (another span differs: +-25% on bytes); "
            "the per-table split and the model's totals (inputs) from the sampling window"
        )
    if no_width:
        assumptions.append("no row width, bytes left out: " + ", ".join(no_width))
    if excluded:
        assumptions.append(
            "unlogged or temporary (no WAL, never captured), left out: " + ", ".join(excluded)
        )
    estimate = ChangeStream(
        method=method,
        inputs=inputs,
        assumptions=assumptions,
        events_per_s=total_events,
        bytes_per_s=total_bytes,
        per_table=per_table,
        excluded=excluded,
    )
    return estimate, total_events
