"""Facts for the capacity model: WAL records read with pg_walinspect, and the bounded read probe.

Both families are optional. ``WalInspect`` is read over the sampling window when the
``pg_walinspect`` extension (PostgreSQL 15+) is installed and readable; ``ReadProbe`` is a
few keyset-chunk reads of the largest tables, the measured database read speed that the
snapshot estimate scales up.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from audit.facts.base import FactModel
from audit.facts.lsn import Lsn


class WalRecordGroup(FactModel):
    """WAL records of one (resource manager, record type, relation) in the inspected range.

    Heap and Heap2 records are grouped per relation; every other resource manager per record
    type only (``relation`` is then ``None``).
    """

    resource_manager: str
    record_type: str
    relation: str | None = Field(
        default=None, description="quoted qualified name of the block 0 relation (Heap/Heap2)"
    )
    relfilenode: int | None = Field(default=None, description="block 0 relfilenode (Heap/Heap2)")
    catalog: bool = Field(default=False, description="relation is a system catalog")
    other_database: bool = Field(
        default=False, description="block 0 belongs to another database: relation unknown"
    )
    records: int
    record_bytes: int = Field(description="sum(record_length), full-page images included")
    fpi_bytes: int = Field(description="sum(fpi_length)")
    aligned_bytes: int = Field(description="sum of record_length rounded up to 8 bytes")
    block_images: int = Field(default=0, description="block references carrying an image")
    two_block_records: int = Field(default=0, description="records with a block reference #1")
    noimage_records: int = Field(default=0, description="records with no image")
    noimage_bytes: int = Field(default=0, description="sum(record_length) of those records")
    tuples: int = Field(default=0, description="MULTI_INSERT: tuples carried")
    inval_records: int = Field(default=0, description="COMMIT: records with invalidations")
    inval_messages: int = Field(default=0, description="COMMIT: invalidation messages")


class WalInspect(FactModel):
    """``pg_get_wal_records_info`` over the sampling window, grouped (see WalRecordGroup)."""

    start_lsn: Lsn = Field(description="first LSN inspected")
    end_lsn: Lsn
    requested_start_lsn: Lsn = Field(description="start of the window the caller asked for")
    lsn_bytes: int = Field(description="pg_wal_lsn_diff(end_lsn, start_lsn)")
    truncated: bool = Field(
        default=False, description="the window was longer than the byte cap: its tail was read"
    )
    wal_level: str | None = None
    groups: list[WalRecordGroup] = Field(default_factory=list)


class ReadProbeTable(FactModel):
    """Keyset-chunk reads of one table: ``WHERE key > last ORDER BY key LIMIT chunk_rows``."""

    table: str = Field(description="quoted qualified name")
    key_columns: list[str]
    chunk_rows: int
    chunk_seconds: list[float] = Field(
        default_factory=list, description="wall time of each chunk query, chunk 0 first"
    )
    chunk_row_counts: list[int] = Field(default_factory=list)
    avg_row_bytes: float | None = Field(
        default=None, description="avg(pg_column_size(t.*)) over chunk 0: row with TOAST inline"
    )
    avg_key_bytes: float | None = Field(
        default=None, description="avg(pg_column_size(key)) over chunk 0"
    )
    avg_text_bytes: float | None = Field(
        default=None,
        description="avg(octet_length(t::text)) over chunk 0: the row in text form, compressed "
        "and TOASTed values expanded (what pgoutput sends)",
    )
    avg_key_text_bytes: float | None = Field(
        default=None, description="avg(octet_length(key::text)) over chunk 0"
    )
    stopped_by: str = Field(description='"end_of_table", "bytes", "time" or "error"')
    error: str | None = None

    @property
    def rows(self) -> int:
        return sum(self.chunk_row_counts)

    @property
    def seconds(self) -> float:
        return sum(self.chunk_seconds)


class ReadProbe(FactModel):
    """The bounded read probe: measured database read speed for the snapshot estimate."""

    started_at: datetime
    ended_at: datetime
    max_bytes: int
    max_seconds: float
    chunk_rows: int
    statement_timeout_ms: int
    tables: list[ReadProbeTable] = Field(default_factory=list)
    skipped: dict[str, str] = Field(
        default_factory=dict, description="table -> why it was not probed"
    )


class DecodingProbe(FactModel):
    """The opt-in decoding probe (``--probe-decoding SECONDS``): a temporary logical slot,
    the WAL of a span decoded with ``pg_logical_slot_peek_binary_changes``, timed.

    The one exception to read-only: the slot exists for the span plus the decode and holds
    the WAL written meanwhile. ``plugin`` is ``pgoutput`` when a publication was given (the
    bytes are then what a pgoutput consumer receives), else ``test_decoding`` (events and
    decode time only: its text output is not the stream a CDC tool receives).
    """

    started_at: datetime
    ended_at: datetime
    slot_name: str
    plugin: str = Field(description="pgoutput | test_decoding")
    publication: str | None = None
    span_seconds: float = Field(description="seconds between slot creation and the decode")
    max_changes: int = Field(description="upto_nchanges given to the peek")
    start_lsn: Lsn | None = Field(default=None, description="the slot's confirmed_flush_lsn")
    end_lsn: Lsn | None = Field(default=None, description="pg_current_wal_lsn() after the span")
    wal_bytes: int | None = Field(default=None, description="WAL written during the span")
    decoded_wal_bytes: int | None = Field(
        default=None, description="WAL up to the last message returned (less when truncated)"
    )
    decode_seconds: float | None = None
    messages: int = 0
    events: int = Field(default=0, description="row changes (pgoutput I/U/D, or test_decoding)")
    transactions: int = 0
    output_bytes: int = Field(default=0, description="sum(octet_length(data)) of the messages")
    by_type: dict[str, int] = Field(
        default_factory=dict, description="pgoutput messages per type byte (B, C, I, U, D, R...)"
    )
    truncated: bool = Field(default=False, description="max_changes was reached")
    slot_dropped: bool = Field(
        default=False,
        description="the slot was gone when the probe ended: dropped by the probe, or by the "
        "server (an error in the session drops its temporary slots)",
    )
    error: str | None = None
