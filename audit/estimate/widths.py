"""Row widths per table, from the best source available, each with its uncertainty.

Three widths matter to WAL (wal_overhead.md §4):

- ``tuple_bytes``: the on-page tuple length ``t_len``, TOASTed values as 18-byte pointers; a
  HOT update logs it whole at ``wal_level=logical``;
- ``flat_bytes``: the row with TOASTed values pulled inline (``pg_column_size(t.*)``), what
  ``REPLICA IDENTITY FULL`` logs as the old row;
- ``key_bytes``: the replica identity key, logged on every DELETE.
"""

from __future__ import annotations

from audit.estimate.model import RowWidths
from audit.estimate.options import RowWidthOverride
from audit.estimate.result import Range
from audit.facts import ReplicaIdentity, Table
from audit.facts.capacity import ReadProbeTable

# pg_stats: 24 + sum(avg_width) leaves out the null bitmap and alignment padding (a few bytes
# per row); avg_width is an ANALYZE sample average.
PG_STATS_SPREAD = (0.9, 1.15)
# heap bytes / reltuples counts page headers, line pointers, free space and dead rows too.
SIZE_PER_TUPLE_FACTOR = 0.85
SIZE_PER_TUPLE_SPREAD = (0.6 / 0.85, 1.0 / 0.85)
# the read probe measures chunk 0 only (the rows first in key order)
PROBE_SPREAD = (0.9, 1.1)
# pg_walinspect INSERT records carry the exact tuple length of the rows inserted in the window
WAL_INSERT_SPREAD = (0.98, 1.02)
# TOAST table bytes per row include chunk tuple headers, the partly filled last chunk of every
# value, page overhead and dead chunks: ~80% of it is value bytes (bench/accuracy.py toast_upd)
TOAST_SPREAD = (0.6, 1.0)
TOAST_FACTOR = 0.8
# the tuple width of a table with TOAST data when only the flattened width is known
TOAST_ONLY_LOW = 0.1
KEY_TEXT_SPREAD = (0.8, 2.0)
# an unknown key: int4 / int8 keys are the common case, uuid and composite keys wider
DEFAULT_KEY = Range(4.0, 8.0, 16.0)


def row_count(table: Table) -> float | None:
    if table.reltuples is not None and table.reltuples >= 0:
        return table.reltuples
    if table.n_live_tup is not None:
        return float(table.n_live_tup)
    return None


def has_identity_key(table: Table, identity: ReplicaIdentity) -> bool:
    """Whether DELETE logs a key (not the whole row) under ``identity``."""
    if identity is ReplicaIdentity.INDEX:
        return True
    return identity is ReplicaIdentity.DEFAULT and table.has_primary_key


def _tuple_width(
    table: Table, probe: ReadProbeTable | None, wal_insert_tuple: float | None
) -> tuple[Range, str] | None:
    if wal_insert_tuple is not None:
        return Range.spread(wal_insert_tuple, *WAL_INSERT_SPREAD), "pg_walinspect INSERT records"
    if probe is not None and probe.avg_row_bytes and table.toast_bytes == 0:
        return Range.spread(probe.avg_row_bytes, *PROBE_SPREAD), "read probe (no TOAST data)"
    if table.avg_row_bytes:
        if table.row_width_source == "size/tuples":
            expected = table.avg_row_bytes * SIZE_PER_TUPLE_FACTOR
            return Range.spread(expected, *SIZE_PER_TUPLE_SPREAD), "heap bytes / reltuples x 0.85"
        return Range.spread(table.avg_row_bytes, *PG_STATS_SPREAD), (
            table.row_width_source or "tables.avg_row_bytes"
        )
    if probe is not None and probe.avg_row_bytes:
        # a TOAST table exists and nothing else says how wide the row is on its page: the
        # flattened row is an upper bound (values moved out of line make the tuple narrower)
        return Range(
            probe.avg_row_bytes * TOAST_ONLY_LOW, probe.avg_row_bytes, probe.avg_row_bytes
        ), ("read probe (TOAST table present, not analyzed: flattened row as upper bound)")
    return None


def _flat_width(
    table: Table, tuple_width: Range, probe: ReadProbeTable | None
) -> tuple[Range, str]:
    if probe is not None and probe.avg_row_bytes:
        return Range.spread(probe.avg_row_bytes, *PROBE_SPREAD), "read probe pg_column_size(t.*)"
    rows = row_count(table)
    if table.toast_bytes and rows:
        toast = Range.spread(
            table.toast_bytes / rows * TOAST_FACTOR, *(f / TOAST_FACTOR for f in TOAST_SPREAD)
        )
        return tuple_width + toast, "tuple width + toast_bytes / reltuples x 0.8"
    return tuple_width, "tuple width (no TOAST data)"


def _key_width(table: Table, probe: ReadProbeTable | None) -> tuple[Range, str]:
    if probe is not None and probe.avg_key_bytes and table.has_primary_key:
        return Range.spread(probe.avg_key_bytes, 1.0, 1.0), "read probe pg_column_size(key)"
    return DEFAULT_KEY, "assumed 4-16 B (int4/int8/uuid key; width not collected)"


def row_widths(
    table: Table,
    probe: ReadProbeTable | None = None,
    override: RowWidthOverride | None = None,
    wal_insert_tuple: float | None = None,
) -> RowWidths | None:
    """The widths of ``table``, or None when nothing says how wide its rows are."""
    override = override or RowWidthOverride()
    found = _tuple_width(table, probe, wal_insert_tuple)
    if override.tuple_bytes is not None:
        found = (Range.exact(override.tuple_bytes), "options.row_widths")
    if found is None:
        return None
    tuple_width, tuple_source = found
    flat, flat_source = _flat_width(table, tuple_width, probe)
    if override.flat_row_bytes is not None:
        flat, flat_source = Range.exact(override.flat_row_bytes), "options.row_widths"
    key, key_source = _key_width(table, probe)
    if override.key_bytes is not None:
        key, key_source = Range.exact(override.key_bytes), "options.row_widths"
    sources = {"tuple_bytes": tuple_source, "flat_bytes": flat_source, "key_bytes": key_source}
    text = key_text = None
    if probe is not None and probe.avg_text_bytes:
        text = Range.spread(probe.avg_text_bytes, *PROBE_SPREAD)
        sources["text_bytes"] = "read probe octet_length(t::text)"
    if probe is not None and probe.avg_key_text_bytes and table.has_primary_key:
        # chunk 0 holds the smallest keys: serial keys grow longer as text further on
        key_text = Range.spread(probe.avg_key_text_bytes, *KEY_TEXT_SPREAD)
        sources["key_text_bytes"] = "read probe octet_length(key::text)"
    return RowWidths(
        tuple_bytes=tuple_width,
        flat_bytes=flat,
        key_bytes=key,
        sources=sources,
        text_bytes=text,
        key_text_bytes=key_text,
    )
