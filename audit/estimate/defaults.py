"""Consumer throughput defaults per profile, each with its source; every one can be overridden.

These are the numbers the snapshot and catch-up estimates use when the user does not say how
fast their consumer is (``options``: ``consumer_rows_per_s``, ``consumer_bytes_per_s``,
``consumer_events_per_s``, ``walsender_decode_bytes_per_s``), or rescales from a previous run
of their own (``measured_snapshot``). They are order-of-magnitude figures with wide ranges, not
measurements of the user's pipeline: the report labels them so. Native logical replication's
table sync is measured here instead (``audit/estimate/native_sync.py``).
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
    # Workers: snapshot.max.threads defaults to 1 (Debezium PostgreSQL connector reference,
    # https://debezium.io/documentation/reference/stable/connectors/postgresql.html).
    # Per-thread rate, from published measurements (none is of the user's pipeline):
    # - low: Sequin's head-to-head, Debezium on AWS MSK Connect sustained ~6k change events/s
    #   and its latency grew unbounded at 10k (https://sequinstream.com/docs/performance);
    # - high: a single Kafka Connect node snapshotted TPC-H SF=50 (~433M rows in 8 tables) from
    #   PostgreSQL to Iceberg in 120 minutes, ~60k rows/s (The New Stack, "Postgres to Iceberg
    #   in 13 minutes", https://thenewstack.io/postgres-iceberg-cdc-benchmarks/, 2026);
    # - expected: in between (geometric middle, rounded).
    # Calibrate with [estimates] measured_snapshot from a previous snapshot of the same connector
    # (its log prints the rows per table and the snapshot's duration).
    "debezium": SnapshotDefaults(
        mode="debezium_initial",
        workers=1,
        workers_option="snapshot_threads",
        rows_per_s=Range(6_000, 20_000, 60_000),
        bytes_per_s=Range(4 * MIB, 10 * MIB, 40 * MIB),
        events_per_s=Range(3_000, 6_000, 20_000),
        source="Debezium docs (snapshot.max.threads = 1); Sequin benchmark, Debezium on MSK "
        "Connect ~6k events/s (sequinstream.com/docs/performance); Kafka Connect TPC-H SF=50 "
        "snapshot in 120 min, ~60k rows/s (thenewstack.io/postgres-iceberg-cdc-benchmarks)",
    ),
    # Workers: MaxFullLoadSubTasks defaults to 8, at most 49; ParallelLoadThreads defaults to 0;
    # CommitRate = 10,000 rows per batch (AWS DMS User Guide, "Full-load task settings",
    # https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TaskSettings.FullLoad.html).
    # AWS publishes no per-table full-load rate for a PostgreSQL source: the range is an
    # assumption. Calibrate with [estimates] measured_snapshot from a previous task:
    # DescribeTableStatistics gives FullLoadRows, FullLoadStartTime and FullLoadEndTime per table
    # (AWS DMS API Reference, "TableStatistics").
    "dms": SnapshotDefaults(
        mode="dms_full_load",
        workers=8,
        workers_option="dms_parallel_tables",
        rows_per_s=Range(2_000, 10_000, 30_000),
        bytes_per_s=Range(2 * MIB, 5 * MIB, 20 * MIB),
        events_per_s=Range(1_000, 5_000, 15_000),
        source="AWS DMS docs (MaxFullLoadSubTasks = 8, CommitRate = 10000); per-table rate "
        "assumed (AWS publishes none): calibrate from DescribeTableStatistics of a previous task",
    ),
    # max_sync_workers_per_subscription defaults to 2 (PostgreSQL docs, runtime-config-
    # replication). The snapshot does not use these rates unless consumer_rows_per_s or
    # consumer_bytes_per_s is set: table sync has its own measured model
    # (audit/estimate/native_sync.py, bench/native_sync_bench.py). events_per_s (the apply
    # worker, one core) stays an assumption.
    "native": SnapshotDefaults(
        mode="native_table_sync",
        workers=2,
        workers_option="native_sync_workers",
        rows_per_s=Range(50_000, 150_000, 400_000),
        bytes_per_s=Range(10 * MIB, 30 * MIB, 80 * MIB),
        events_per_s=Range(10_000, 30_000, 100_000),
        source="PostgreSQL docs (max_sync_workers_per_subscription = 2); table sync: "
        "bench/native_sync_bench.py",
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
