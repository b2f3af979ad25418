"""The sampler: WAL position, WAL counters and row changes read at a fixed interval over a window.

Three methods, each kept only while it works (its first failure is recorded as an issue and
the method is not tried again in the window):

- ``lsn``: ``pg_current_wal_lsn()``; fails on Aurora until logical replication is on.
- ``pg_stat_wal``: WAL records, full-page images and bytes (PostgreSQL 14+, not on Aurora).
- ``row_changes``: per-database ``pg_stat_database`` counters (and their sums) and per-table
  ``n_tup_*`` counters, the only method that works everywhere and the input of the WAL
  overhead model. Each sample after the first also keeps the tables that changed since the
  previous one (``WalSample.table_changes``), computed from the same rows: no extra query, and
  only two samples' worth of per-table counters are held at a time. The same rows carry each
  table's sequential and index scans, read at the first and the last sample only: their change
  over the window (``Sampling.table_scans``, for the tables whose rows changed) says how many
  rows each changing statement reached.

Beside them, and in the same way, ``checkpoints`` reads the completed checkpoints and the
buffers they wrote (``pg_stat_bgwriter`` before 17, ``pg_stat_checkpointer`` from 17 on) and
``checkpoint_time`` when the latest one started (``pg_control_checkpoint()``): both need no WAL
function, and give the row-change WAL model its full-page images. ``slots`` reads every
replication slot's ``restart_lsn``, ``confirmed_flush_lsn`` and ``active`` right after the
WAL position (``WalSample.slots``), so that the WAL each slot retains is known over the window.
None of these is a rate method, so none is listed in ``Sampling.methods``: a field left None
says it was not sampled.

Ctrl-C ends the window early: what was sampled is kept and ``interrupted`` is set.

Memory does not grow with the window: the sample times are generated one at a time, and at
most :data:`MAX_KEPT_SAMPLES` samples are kept. When a long window reaches that bound, every
second kept sample is dropped and from then on only every 2nd, 4th, ... sample taken is kept
(the per-interval table changes of a dropped sample are added to the next kept one, so no
change is lost); the facts record it as the issue ``sampling.samples``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from psycopg import sql

from audit.collect.counters import checkpoint_fragments, counter_fragments
from audit.collect.session import Session
from audit.facts import Sampling, WalSample
from audit.facts.models import SCAN_COUNTERS, DatabaseCounters, SlotPosition

SLEEP_STEP = 0.1
TABLE_COUNTERS = ("n_tup_ins", "n_tup_upd", "n_tup_del", "n_tup_hot_upd", "n_tup_newpage_upd")
PG_STAT_WAL_MIN_VERSION = 140000
METHODS = ("lsn", "pg_stat_wal", "row_changes")
# what each sample reads, in this order: the slots right after the WAL position they are
# measured against, the per-table counters (the slowest read) last
READERS = ("lsn", "slots", "pg_stat_wal", "checkpoints", "checkpoint_time", "row_changes")

_CONSEQUENCE = {
    "lsn": "the WAL rate comes from the other sampling methods",
    "slots": "slot positions are not sampled, so slot lag over the window is unknown",
    "pg_stat_wal": "WAL records and full-page images are not sampled",
    "checkpoints": "checkpoints in the window are not counted (the row-change WAL model "
    "assumes the checkpoint_timeout / max_wal_size cycle)",
    "checkpoint_time": "where the window stands in its checkpoint cycle is unknown (the "
    "row-change WAL model widens its full-page image range)",
    "row_changes": "no row-change rates for this window",
}
_GRANT = {
    "lsn": "GRANT EXECUTE ON FUNCTION pg_current_wal_lsn() TO the auditing role (on Aurora the "
    "function works only once rds.logical_replication is on)",
    "slots": "GRANT SELECT ON pg_replication_slots TO the auditing role",
    "pg_stat_wal": "GRANT pg_monitor TO the auditing role",
    "checkpoints": "GRANT pg_monitor TO the auditing role",
    "checkpoint_time": "GRANT EXECUTE ON FUNCTION pg_control_checkpoint() TO the auditing role",
    "row_changes": "GRANT pg_monitor TO the auditing role",
}

# relid -> (qualified name, *TABLE_COUNTERS, *SCAN_COUNTERS); n_tup_newpage_upd is None before
# PostgreSQL 16
TableCounters = dict[int, tuple[Any, ...]]
# the counters of a TableCounters row that WalSample.table_changes keeps (TABLE_CHANGE_COUNTERS)
_INTERVAL_COUNTERS = slice(1, 5)
_ROW_COUNTERS = slice(1, 1 + len(TABLE_COUNTERS))
_SCANS = slice(1 + len(TABLE_COUNTERS), 1 + len(TABLE_COUNTERS) + len(SCAN_COUNTERS))


MAX_KEPT_SAMPLES = 2_000


def sample_offsets(seconds: float, interval: float) -> Iterator[float]:
    """When to sample, in seconds from the start: every ``interval``, and at the very end."""
    if not (interval > 0 and math.isfinite(interval)):
        raise ValueError("the sampling interval must be a positive number of seconds")
    if not (seconds >= 0 and math.isfinite(seconds)):
        raise ValueError("the sampling window must be a finite, non-negative number of seconds")
    k = 0
    while k * interval < seconds:
        yield k * interval
        k += 1
    yield seconds


def sample_count(seconds: float, interval: float) -> int:
    """How many offsets :func:`sample_offsets` yields, without generating them."""
    n = math.ceil(seconds / interval)
    while n * interval < seconds:
        n += 1
    while n > 0 and (n - 1) * interval >= seconds:
        n -= 1
    return n + 1


class SampleWindow:
    """The samples kept of a window: at most ``limit``, thinned evenly (see the module doc)."""

    def __init__(self, limit: int = MAX_KEPT_SAMPLES) -> None:
        self.limit = max(limit, 2)
        self.samples: list[WalSample] = []
        self.stride = 1
        self.taken = 0
        self._tail: WalSample | None = None  # the latest sample taken but not kept

    def add(self, sample: WalSample) -> None:
        if self._tail is not None:
            sample = _merged(self._tail, sample)
            self._tail = None
        if self.taken % self.stride == 0:
            self.samples.append(sample)
            if len(self.samples) > self.limit:
                self._thin()
        else:
            self._tail = sample
        self.taken += 1

    def finish(self) -> list[WalSample]:
        """The kept samples, ending with the last one taken."""
        if self._tail is not None:
            self.samples.append(self._tail)
            self._tail = None
        return self.samples

    def _thin(self) -> None:
        kept = self.samples[:1]
        for i in range(2, len(self.samples), 2):
            kept.append(_merged(self.samples[i - 1], self.samples[i]))
        if len(self.samples) % 2 == 0:  # the last one has no successor: it is the tail
            self._tail = self.samples[-1]
        self.samples = kept
        self.stride *= 2


def _merged(dropped: WalSample, later: WalSample) -> WalSample:
    """``later`` with the per-interval table changes of the ``dropped`` sample before it."""
    if dropped.table_changes is None or later.table_changes is None:
        return later.model_copy(update={"table_changes": None})
    changes = dict(dropped.table_changes)
    for name, delta in later.table_changes.items():
        before = changes.get(name)
        changes[name] = (
            delta if before is None else [a + b for a, b in zip(before, delta, strict=True)]
        )
    return later.model_copy(update={"table_changes": changes})


class Sampler:
    """Takes one sample at a time; :meth:`run` samples a whole window."""

    def __init__(self, session: Session, version_num: int | None) -> None:
        self.session = session
        self.active = list(READERS)
        self.worked: list[str] = []
        self.first_tables: TableCounters | None = None
        self.last_tables: TableCounters | None = None
        self.fragments = counter_fragments(version_num)
        self.scan_fragments = {
            read: {**self.fragments, "read_scans": sql.SQL("true" if read else "false")}
            for read in (True, False)
        }
        self.checkpoint_fragments = checkpoint_fragments(version_num)
        self.interval_entries = 0  # per-interval table changes kept so far
        self.interval_capped = False
        if version_num is not None and version_num < PG_STAT_WAL_MIN_VERSION:
            self.active.remove("pg_stat_wal")
            session.record("sampling.pg_stat_wal", "pg_stat_wal exists from PostgreSQL 14 on")

    def take(self, final: bool = False) -> WalSample:
        """One sample; the tables' scans are read at the first one and at a ``final`` one (the
        window's change is all that is used of them)."""
        values: dict[str, Any] = {"at": datetime.now(UTC)}
        read_scans = final or self.first_tables is None
        readers: dict[str, Callable[[], dict[str, Any]]] = {
            "lsn": lambda: self.session.row("wal_lsn"),
            "slots": self._slots,
            "pg_stat_wal": lambda: self.session.row("sample_wal_stats"),
            "checkpoints": self._checkpoints,
            "checkpoint_time": lambda: self.session.row("sample_checkpoint_time"),
            "row_changes": lambda: self._row_changes(read_scans),
        }
        for method in list(self.active):
            values.update(self._try(method, readers[method]))
        return WalSample.model_validate(values)

    def _row_changes(self, read_scans: bool) -> dict[str, Any]:
        databases = {
            row.pop("database"): DatabaseCounters.model_validate(row)
            for row in self.session.rows("sample_databases")
        }
        rows = self.session.tuples("sample_tables", fragments=self.scan_fragments[read_scans])
        tables = {row[0]: row[1:] for row in rows}
        del rows
        previous = self.last_tables
        if self.first_tables is None:
            self.first_tables = tables
        self.last_tables = tables
        totals = {
            name: sum(getattr(c, name) or 0 for c in databases.values())
            for name in DatabaseCounters.model_fields
        }
        changes = interval_changes(previous, tables) if previous is not None else None
        if changes is not None:
            self.interval_entries += len(changes)
            if self.interval_entries > MAX_INTERVAL_ENTRIES:
                if not self.interval_capped:
                    self.interval_capped = True
                    self.session.record(
                        "sampling.table_changes",
                        f"per-interval table changes stop after {MAX_INTERVAL_ENTRIES:,} "
                        "entries (memory bound); the first-to-last table deltas are complete",
                    )
                changes = None
        return {**totals, "databases": databases, "table_changes": changes}

    def _checkpoints(self) -> dict[str, Any]:
        rows = self.session.tuples("sample_checkpoints", fragments=self.checkpoint_fragments)
        checkpoints, buffers = rows[0]
        return {"checkpoints": checkpoints, "checkpoint_buffers": buffers}

    def _slots(self) -> dict[str, Any]:
        slots = {
            row.pop("slot_name"): SlotPosition.model_validate(row)
            for row in self.session.rows("sample_slots")
        }
        return {"slots": slots}

    def _try(self, method: str, read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``read()``'s values; on failure (an issue was recorded) the method is dropped."""
        issues_before = len(self.session.issues)
        values = self.session.attempt(
            f"sampling.{method}", read, grant=_GRANT[method], consequence=_CONSEQUENCE[method]
        )
        if len(self.session.issues) > issues_before:
            self.active.remove(method)
            return {}
        if values and any(v is not None for v in values.values()) and method not in self.worked:
            self.worked.append(method)
        return values or {}

    def table_deltas(self) -> dict[str, dict[str, int]]:
        """Per-table counter changes from the first to the last sample, unchanged ones left out."""
        return {
            name: changes
            for name, changes, _ in _deltas(self.first_tables or {}, self.last_tables or {})
        }

    def table_scans(self) -> dict[str, dict[str, int]]:
        """Scans from the first to the last sample (SCAN_COUNTERS) of the tables whose rows
        changed: with the rows changed, how many rows each changing statement reached. Empty
        when the last sample did not read them (a window ended by Ctrl-C)."""
        return {
            name: scans
            for name, _, scans in _deltas(self.first_tables or {}, self.last_tables or {})
            if scans
        }

    def run(self, seconds: float, interval: float, progress: Callable[[str], None]) -> Sampling:
        total = sample_count(seconds, interval)
        started_at = datetime.now(UTC)
        start = time.monotonic()
        window = SampleWindow()
        interrupted = False
        try:
            for number, offset in enumerate(sample_offsets(seconds, interval), start=1):
                _sleep_until(start + offset)
                window.add(self.take(final=number == total))
                progress(f"sampling: {number}/{total} samples, {offset:.0f} s of {seconds:.0f} s")
        except KeyboardInterrupt:  # Session.attempt turns an error a signal caused into one
            interrupted = True
        samples = window.finish()
        if window.stride > 1:
            self.session.record(
                "sampling.samples",
                f"{len(samples):,} of {window.taken:,} samples kept (memory bound of "
                f"{MAX_KEPT_SAMPLES:,}): every {window.stride}th; the per-interval table "
                "changes of the others are added to the next kept sample",
            )
        return Sampling(
            started_at=samples[0].at if samples else started_at,
            ended_at=samples[-1].at if samples else datetime.now(UTC),
            interval_seconds=interval,
            requested_seconds=seconds,
            interrupted=interrupted,
            methods=[m for m in METHODS if m in self.worked],
            samples=samples,
            table_deltas=self.table_deltas(),
            table_scans=self.table_scans(),
        )


def _deltas(
    first: TableCounters, last: TableCounters
) -> Iterator[tuple[str, dict[str, int], dict[str, int]]]:
    """Row-counter changes per table, and the scan-counter changes of the same tables; a table
    whose counters went down was reset, so counts from 0 (row and scan counters apart).

    Only tables whose rows changed are yielded. Counters not read (None in the last sample:
    n_tup_newpage_upd before 16, the scans of a sample that did not read them) are left out.
    """
    for relid, row in last.items():
        before = first.get(relid)
        changes = _changed(TABLE_COUNTERS, row[_ROW_COUNTERS], before and before[_ROW_COUNTERS])
        if any(changes.values()):
            yield row[0], changes, _changed(SCAN_COUNTERS, row[_SCANS], before and before[_SCANS])


def _changed(
    names: tuple[str, ...], now_raw: tuple[Any, ...], before: tuple[Any, ...] | None
) -> dict[str, int]:
    counters = [c for c, v in zip(names, now_raw, strict=True) if v is not None]
    now = [v for v in now_raw if v is not None]
    then = [v for v in before if v is not None] if before else []
    if len(then) != len(now) or any(n < t for n, t in zip(now, then, strict=True)):
        then = [0] * len(now)
    return dict(zip(counters, (n - t for n, t in zip(now, then, strict=True)), strict=True))


MAX_INTERVAL_ENTRIES = 500_000  # about 50 MB of per-interval changes (~100 B each)


def interval_changes(previous: TableCounters, current: TableCounters) -> dict[str, list[int]]:
    """``WalSample.table_changes``: the tables whose counters changed between two samples.

    Each value is ``[n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd]`` (TABLE_CHANGE_COUNTERS)
    changed since ``previous``; a table new since then counts from 0, and so does one whose
    counters went down (reset), as in :func:`_deltas`. Unchanged rows are skipped with one tuple
    comparison: 50,000 quiet tables cost about 3 ms, and a changed table about 100 bytes per
    sample (a table only scanned takes the longer path and is then skipped).
    """
    changes: dict[str, list[int]] = {}
    for relid, row in current.items():
        before = previous.get(relid)
        if before == row:
            continue
        now = [v or 0 for v in row[_INTERVAL_COUNTERS]]
        then = [v or 0 for v in before[_INTERVAL_COUNTERS]] if before is not None else []
        if len(then) != len(now) or any(n < t for n, t in zip(now, then, strict=True)):
            then = [0] * len(now)
        delta = [n - t for n, t in zip(now, then, strict=True)]
        if any(delta):
            # interned: every sample's dict shares one string per table name
            changes[sys.intern(row[0])] = delta
    return changes


def _sleep_until(deadline: float) -> None:
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(SLEEP_STEP, left))
