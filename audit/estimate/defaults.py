"""Consumer throughput defaults per profile, each with its source; every one can be overridden.

These are the numbers the snapshot and catch-up estimates use when the user does not say how
fast their consumer is (``options``: ``consumer_rows_per_s``, ``consumer_bytes_per_s``,
``consumer_events_per_s``, ``walsender_decode_bytes_per_s``). They are order-of-magnitude
figures with wide ranges, not measurements of the user's pipeline: the report labels them so.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.estimate.result import Range

MIB = 1024**2


@dataclass(frozen=True)
class SnapshotDefaults:
    """How one profile copies existing rows, and how fast one of its workers goes."""

    mode: str
    workers: int
    workers_option: str
    rows_per_s: Range  # per worker, consumer side
    bytes_per_s: Range  # per worker, consumer side
    events_per_s: Range  # streaming: change events the consumer applies per second
    source: str


PROFILE_DEFAULTS: dict[str, SnapshotDefaults] = {
    # snapshot.max.threads defaults to 1 (Debezium PostgreSQL connector reference, "snapshot.max.
    # threads"). Per-thread rate: Sequin's published head-to-head measured Debezium on MSK Connect
    # at ~6k change events/s sustained (https://sequinstream.com/docs/performance); a Kafka
    # Connect snapshot of TPC-H SF50 to Iceberg took 120 min for ~430M rows, ~60k rows/s on one
    # node (thenewstack.io "Postgres to Iceberg in 13 minutes", 2026). Expected is in between.
    "debezium": SnapshotDefaults(
        mode="debezium_initial",
        workers=1,
        workers_option="snapshot_threads",
        rows_per_s=Range(6_000, 20_000, 60_000),
        bytes_per_s=Range(4 * MIB, 10 * MIB, 40 * MIB),
        events_per_s=Range(3_000, 6_000, 20_000),
        source="Debezium docs (snapshot.max.threads = 1); Sequin benchmark (~6k events/s); "
        "Kafka Connect TPC-H SF50 snapshot (~60k rows/s)",
    ),
    # MaxFullLoadSubTasks defaults to 8 (AWS DMS User Guide, "Full-load task settings"). AWS
    # publishes no per-table rate; DMS loads through a replication instance and commits in
    # CommitRate = 10,000-row batches (same page). Assumption, override with options.
    "dms": SnapshotDefaults(
        mode="dms_full_load",
        workers=8,
        workers_option="dms_parallel_tables",
        rows_per_s=Range(2_000, 10_000, 30_000),
        bytes_per_s=Range(2 * MIB, 5 * MIB, 20 * MIB),
        events_per_s=Range(1_000, 5_000, 15_000),
        source="AWS DMS docs (MaxFullLoadSubTasks = 8, CommitRate = 10000); per-table rate "
        "assumed (no published figure)",
    ),
    # max_sync_workers_per_subscription defaults to 2 (PostgreSQL docs, runtime-config-
    # replication). Table sync is COPY: 381-725k rows/s out of the publisher in the lab
    # (wal_overhead.md §5); the subscriber's COPY into indexed tables is the slower side.
    "native": SnapshotDefaults(
        mode="native_table_sync",
        workers=2,
        workers_option="native_sync_workers",
        rows_per_s=Range(50_000, 150_000, 400_000),
        bytes_per_s=Range(10 * MIB, 30 * MIB, 80 * MIB),
        events_per_s=Range(10_000, 30_000, 100_000),
        source="PostgreSQL docs (max_sync_workers_per_subscription = 2); COPY rates from "
        "wal_overhead.md §5",
    ),
    # A generic client materialising rows: ~150k rows/s, 31 MB/s in Python (wal_overhead.md §5).
    "generic": SnapshotDefaults(
        mode="generic_keyset",
        workers=1,
        workers_option="snapshot_threads",
        rows_per_s=Range(50_000, 150_000, 400_000),
        bytes_per_s=Range(10 * MIB, 30 * MIB, 90 * MIB),
        events_per_s=Range(5_000, 20_000, 100_000),
        source="wal_overhead.md §5: keyset chunks materialised as Python rows, ~150k rows/s",
    ),
}

# Debezium incremental snapshots: incremental.snapshot.chunk.size defaults to 1024 (Debezium
# PostgreSQL connector reference). Each chunk opens and closes a watermark window through the
# signalling table and the replication stream: a round trip per chunk, assumed 10-500 ms.
INCREMENTAL_CHUNK_ROWS = 1024
INCREMENTAL_WINDOW_SECONDS = Range(0.01, 0.05, 0.5)
# Kafka Connect commits source offsets every offset.flush.interval.ms = 60 s (Kafka docs):
# during an incremental snapshot the slot advances at least that often.
OFFSET_FLUSH_SECONDS = 60.0

# Without a read probe: keyset reads measured 374-452k rows/s, 79-95 MB/s of heap on a busy
# 2-vCPU VM (wal_overhead.md §5, raw keyset rows), used with a wide range.
DEFAULT_DB_ROWS_PER_S = Range(100_000, 400_000, 450_000)
DEFAULT_DB_BYTES_PER_S = Range(20 * MIB, 80 * MIB, 95 * MIB)

# One walsender decodes the whole server's WAL on one core. Measured by
# bench/change_stream_bench.py: pg_recvlogical (pgoutput) catching up 130-730 MB backlogs,
# PostgreSQL 15 and 18 on a shared 2-vCPU VM, two runs (docs/accuracy.md, "Change stream and
# decoding rate"): 11-12 MB/s of single-row INSERT transactions, 15-74 MB/s of 1,000-row
# batches, 25-103 MB/s of TPC-B. Decoding costs per record and per transaction, so row-heavy
# WAL is the low end; image-heavy WAL, idle and faster cores the high end. (Until issue 15:
# 20-150 MiB/s, expected 60, from the SQL path over image-heavy TPC-B WAL, which is 3-25x
# faster than a walsender streaming it.)
WALSENDER_DECODE_BYTES_PER_S = Range(8 * MIB, 30 * MIB, 120 * MIB)
