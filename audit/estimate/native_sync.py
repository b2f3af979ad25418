"""Native logical replication's initial table sync: a measured model (issue 15).

``CREATE SUBSCRIPTION ... WITH (copy_data = true)`` copies each table in a table-sync worker:
the worker connects to the publisher, creates a slot with its snapshot, runs ``COPY`` and the
subscriber inserts the rows (heap, TOAST, every index of the subscriber's table), then catches
up and hands the table to the apply worker. At most ``max_sync_workers_per_subscription``
tables are copied at once; a worker takes the next table when one finishes.

Per table: ``subscriber apply + per_table``, the publisher read setting the high end only, where

- publisher read = the larger of rows / rows-per-s and bytes / bytes-per-s of the read probe
  (or its default); the probe's keyset chunks are slower than table sync's COPY, so the read
  only caps the high end;
- subscriber apply = rows x ``per_row`` + heap bytes x ``per_heap_byte`` + TOAST bytes x
  ``per_toast_byte`` + the primary key's index bytes x ``per_key_index_byte`` + other index
  bytes x ``per_other_index_byte``: the subscriber is assumed to have the publisher's indexes
  (what ``pg_dump --schema-only`` gives it), since the audit cannot see the subscriber;
- ``per_table`` = starting the worker, creating and dropping the sync slot, the catch-up and the
  hand-over to the apply worker.

Tables go to workers longest first (a list scheduler), plus ``subscription`` seconds once (the
apply worker starting and noticing the last table). Workers beyond the cores they run on gain
nothing: given the subscriber's cores (and whether the publisher shares them), no schedule is
shorter than the syncs' measured CPU seconds (``CPU``) over those cores. The constants were
fitted on the training shapes of ``bench/native_sync_bench.py`` and validated on the others
(docs/accuracy.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from audit.estimate.result import Range

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SyncConstants:
    """Seconds per unit of work on the subscriber (one sync worker), fitted by the bench."""

    subscription_seconds: float
    per_table_seconds: float
    per_row_seconds: float
    per_heap_byte_seconds: float
    per_toast_byte_seconds: float
    per_key_index_byte_seconds: float
    per_other_index_byte_seconds: float

    def scaled(self, factor: float) -> SyncConstants:
        """The apply costs times ``factor`` (a calibration); fixed overheads unchanged."""
        return SyncConstants(
            self.subscription_seconds,
            self.per_table_seconds,
            self.per_row_seconds * factor,
            self.per_heap_byte_seconds * factor,
            self.per_toast_byte_seconds * factor,
            self.per_key_index_byte_seconds * factor,
            self.per_other_index_byte_seconds * factor,
        )


# Fitted by `python -m bench.native_sync_bench --fit` on the training shapes (non-negative least
# squares in relative error, medians of 3 runs on a quiet machine), publisher and subscriber on
# one 2-vCPU VM, from the runs where one sync worker does all the work (one table, or one
# worker): the apply costs are common to both majors, the fixed overheads per major (the tiny
# shape pins them). Runs with syncs side by side are left to the CPU floor (``CPU``). The
# rows' own cost is small: every training table has a primary key, whose index bytes grow with
# the rows and carry most of it.
APPLY = {
    "per_row": 1.5e-9,
    "per_heap_byte": 10.5e-9,
    "per_toast_byte": 22.8e-9,
    "per_key_index_byte": 33e-9,
    "per_other_index_byte": 64e-9,
}
OVERHEADS = {15: (0.035, 0.026), 18: (0.073, 0.025)}  # (subscription, per table) seconds
# Index bytes up to this many per row are taken as the primary key's (a btree on an 8-byte
# key: 16 B tuple + 4 B line pointer at 90% fill), filled in key order; the rest as other
# indexes, filled in random order. A first fit on two runs per cell put ten times the cost on
# the others; on five runs both cost about the same: the split is kept, measured, not assumed.
KEY_INDEX_BYTES_PER_ROW = 22.0


def constants_for(version_num: int | None) -> tuple[SyncConstants, str]:
    """The constants for the publisher's major version (PostgreSQL 15 and older: measured on
    15; 16 and newer: measured on 18), and a note saying which."""
    major = 15 if version_num is not None and version_num < 160000 else 18
    subscription, per_table = OVERHEADS[major]
    constants = SyncConstants(
        subscription,
        per_table,
        APPLY["per_row"],
        APPLY["per_heap_byte"],
        APPLY["per_toast_byte"],
        APPLY["per_key_index_byte"],
        APPLY["per_other_index_byte"],
    )
    known = "unknown version" if version_num is None else f"version {version_num // 10000}"
    return constants, f"overheads measured on PostgreSQL {major} ({known})"


# The apply side's range (low, high factors of the expected time): the spread of the fitted
# model over the bench's training and test shapes, and a subscriber faster or slower than the
# bench's (its disk, its CPU, synchronous_commit and checkpoints there).
APPLY_SPREAD = (0.6, 1.6)
CALIBRATED_SPREAD = (0.8, 1.25)
SOURCE = (
    "measured: bench/native_sync_bench.py (CREATE SUBSCRIPTION with copy_data, time until every "
    "table is ready in pg_subscription_rel; PostgreSQL 15, 16 and 18), see docs/accuracy.md"
)


@dataclass(frozen=True)
class CpuCosts:
    """CPU seconds a table sync costs each server, measured by the bench from the servers'
    processes (/proc: the postmaster's reaped children and its live ones), not from wall time."""

    subscriber_per_apply_second: float  # the sync worker is busy the whole apply
    subscriber_per_table: float  # worker start, connection, sync slot, catalog lookups
    publisher_per_byte: float  # the walsender's COPY TO, per heap + TOAST byte
    publisher_per_table: float  # walsender start, slot creation and drop, snapshot


CPU = CpuCosts(  # `--fit` of the bench, rounded (its runs on PostgreSQL 15 and 18)
    subscriber_per_apply_second=1.0,
    subscriber_per_table=0.016,
    publisher_per_byte=6e-9,
    publisher_per_table=0.0145,
)


@dataclass(frozen=True)
class Cores:
    """The CPU cores table sync can use: the subscriber's (``cores``) and whether the publisher
    runs on the same cores (one host for both, as on the bench's VM)."""

    cores: float
    shared_with_publisher: bool = False


def cpu_floor_seconds(work: Work, apply: Floats, cores: Cores) -> float:
    """The shortest time the syncs' CPU work fits into on ``cores``, however many workers:
    every table's subscriber CPU (its apply, plus the per-table cost), and the publisher's
    when it shares the cores. More workers than cores gain nothing past this."""
    tables = len(apply)
    cpu = float(apply.sum()) * CPU.subscriber_per_apply_second
    cpu += CPU.subscriber_per_table * tables
    if cores.shared_with_publisher:
        cpu += float((work.heap + work.toast).sum()) * CPU.publisher_per_byte
        cpu += CPU.publisher_per_table * tables
    return cpu / cores.cores


@dataclass(frozen=True)
class SyncTimes:
    """Every table's sync time (one element per table), low / expected / high, and the
    expected apply alone (per-table overhead excluded: what keeps a subscriber core busy)."""

    low: Floats
    expected: Floats
    high: Floats
    apply: Floats


@dataclass(frozen=True)
class Work:
    """What each table makes the subscriber do: rows, heap bytes, TOAST bytes, index bytes."""

    rows: Floats
    heap: Floats
    toast: Floats
    index: Floats


def key_index_bytes(work: Work) -> Floats:
    """The index bytes taken as the primary key's (see ``KEY_INDEX_BYTES_PER_ROW``)."""
    return np.minimum(work.index, work.rows * KEY_INDEX_BYTES_PER_ROW)


def apply_seconds(work: Work, c: SyncConstants) -> Floats:
    """Expected subscriber time per table, fixed overhead excluded."""
    key = key_index_bytes(work)
    return (
        work.rows * c.per_row_seconds
        + work.heap * c.per_heap_byte_seconds
        + work.toast * c.per_toast_byte_seconds
        + key * c.per_key_index_byte_seconds
        + (work.index - key) * c.per_other_index_byte_seconds
    )


def table_seconds(
    work: Work,
    read_rows_per_s: Range,
    read_bytes_per_s: Range,
    constants: SyncConstants,
    spread: tuple[float, float] = APPLY_SPREAD,
) -> SyncTimes:
    """Per table: subscriber apply + the per-table overhead; the publisher read bounds the high
    end only. The read probe times keyset chunks, and table sync reads with COPY, several times
    faster (COPY TO of the bench's tables ran 5-10x faster than the subscriber's COPY FROM):
    a publisher slow enough for the probe to be slower than the subscriber sets the high end."""
    apply = apply_seconds(work, constants)
    rows, size = work.rows, work.heap + work.toast

    def read(row_rate: float, byte_rate: float) -> Floats:
        by_rows = rows / row_rate if row_rate > 0 else np.full(len(rows), np.inf)
        by_bytes = size / byte_rate if byte_rate > 0 else np.full(len(rows), np.inf)
        return np.maximum(by_rows, by_bytes)

    fixed = constants.per_table_seconds
    low, expected = apply * spread[0], apply
    high = np.maximum(read(read_rows_per_s.expected, read_bytes_per_s.expected), apply * spread[1])
    return SyncTimes(low + fixed * spread[0], expected + fixed, high + fixed * spread[1], apply)
