"""Native logical replication's initial table sync: a measured model (issue 15).

``CREATE SUBSCRIPTION ... WITH (copy_data = true)`` copies each table in a table-sync worker:
the worker connects to the publisher, creates a slot with its snapshot, runs ``COPY`` and the
subscriber inserts the rows (heap, TOAST, every index of the subscriber's table), then catches
up and hands the table to the apply worker. At most ``max_sync_workers_per_subscription``
tables are copied at once; a worker takes the next table when one finishes.

Per table: ``max(publisher read, subscriber apply) + per_table`` where

- publisher read = the larger of rows / rows-per-s and bytes / bytes-per-s of the read probe
  (or its default), as for every profile;
- subscriber apply = rows x ``per_row`` + (heap + TOAST bytes) x ``per_byte`` + index bytes x
  ``per_index_byte``: the subscriber is assumed to have the publisher's indexes (what
  ``pg_dump --schema-only`` gives it), since the audit cannot see the subscriber;
- ``per_table`` = starting the worker, creating and dropping the sync slot, the catch-up and the
  hand-over to the apply worker.

Tables go to workers longest first (a list scheduler), plus ``subscription`` seconds once (the
apply worker starting and noticing the last table). The constants were fitted on the training
shapes of ``bench/native_sync_bench.py`` and validated on the others (docs/accuracy.md).
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
    per_byte_seconds: float
    per_index_byte_seconds: float

    def scaled(self, factor: float) -> SyncConstants:
        """The apply costs times ``factor`` (a calibration); fixed overheads unchanged."""
        return SyncConstants(
            self.subscription_seconds,
            self.per_table_seconds,
            self.per_row_seconds * factor,
            self.per_byte_seconds * factor,
            self.per_index_byte_seconds * factor,
        )


# Fitted by `python -m bench.native_sync_bench --fit` on the training shapes (narrow, toast,
# many_indexes, many_small), PostgreSQL 15 and 18, publisher and subscriber on one 2-vCPU VM.
DEFAULT_CONSTANTS = SyncConstants(
    subscription_seconds=0.5,
    per_table_seconds=0.05,
    per_row_seconds=1.0e-6,
    per_byte_seconds=10e-9,
    per_index_byte_seconds=20e-9,
)
# The apply side's range (low, high factors of the expected time): the spread of the fitted
# model over the bench's training and test shapes, and a subscriber faster or slower than the
# bench's (its disk, its CPU, synchronous_commit and checkpoints there).
APPLY_SPREAD = (0.6, 1.6)
CALIBRATED_SPREAD = (0.8, 1.25)
SOURCE = (
    "measured: bench/native_sync_bench.py (CREATE SUBSCRIPTION with copy_data, time until every "
    "table is ready in pg_subscription_rel; PostgreSQL 15 and 18), see docs/accuracy.md"
)


@dataclass(frozen=True)
class SyncTimes:
    """Every table's sync time (one element per table), low / expected / high."""

    low: Floats
    expected: Floats
    high: Floats


def apply_seconds(rows: Floats, size: Floats, index_bytes: Floats, c: SyncConstants) -> Floats:
    """Expected subscriber time per table, fixed overhead excluded."""
    return (
        rows * c.per_row_seconds
        + size * c.per_byte_seconds
        + index_bytes * c.per_index_byte_seconds
    )


def table_seconds(
    rows: Floats,
    size: Floats,
    index_bytes: Floats,
    read_rows_per_s: Range,
    read_bytes_per_s: Range,
    constants: SyncConstants,
    spread: tuple[float, float] = APPLY_SPREAD,
) -> SyncTimes:
    """Per table: max(publisher read, subscriber apply) + the per-table overhead."""
    apply = apply_seconds(rows, size, index_bytes, constants)

    def read(row_rate: float, byte_rate: float) -> Floats:
        by_rows = rows / row_rate if row_rate > 0 else np.full(len(rows), np.inf)
        by_bytes = size / byte_rate if byte_rate > 0 else np.full(len(rows), np.inf)
        return np.maximum(by_rows, by_bytes)

    fixed = constants.per_table_seconds
    low = np.maximum(read(read_rows_per_s.high, read_bytes_per_s.high), apply * spread[0])
    expected = np.maximum(read(read_rows_per_s.expected, read_bytes_per_s.expected), apply)
    high = np.maximum(read(read_rows_per_s.low, read_bytes_per_s.low), apply * spread[1])
    return SyncTimes(low + fixed * spread[0], expected + fixed, high + fixed * spread[1])


def calibration_factor(
    measured_seconds: float,
    measured_bytes: float,
    workers: int,
    rows: Floats,
    size: Floats,
    index_bytes: Floats,
    constants: SyncConstants,
) -> float:
    """How much slower (> 1) or faster (< 1) the user's subscriber applied than the model says.

    The measured run's per-worker rate (bytes / seconds / workers) against the model's apply
    rate over the audited tables (their bytes / their apply seconds): the measured run is taken
    to have copied tables like these."""
    model_seconds = float(apply_seconds(rows, size, index_bytes, constants).sum())
    total = float(size.sum())
    if model_seconds <= 0 or total <= 0 or measured_bytes <= 0:
        return 1.0
    model_rate = total / model_seconds
    measured_rate = measured_bytes / measured_seconds / max(workers, 1)
    return model_rate / measured_rate
