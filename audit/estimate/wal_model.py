"""The WAL a window wrote, modelled from row changes and checkpoints where no WAL position can be
read (Aurora before ``rds.logical_replication`` is on): the ``row_changes`` rate method.

It rebuilds replica-mode WAL the way PostgreSQL writes it (wal_overhead.md §2.3, heapam.c):

- **records**: per operation, from the table's counters and row width: heap insert
  (``t_len + 31`` B), HOT / same-page update (72 B: only the changed bytes), cross-page update
  (``t_len + 50`` B: the whole new tuple, two block references), delete (56 B), one B-tree insert
  per index for every insert and non-HOT update (50 B + the index entry), TOAST chunks of
  inserted and deleted rows, one commit record (40 B) per write transaction;
- **pruning** (heapam.c ``heap_page_prune_opt``): a page is pruned when it is accessed while it
  holds dead tuples and its free space is below ``max(BLCKSZ x (100 - fillfactor) / 100,
  BLCKSZ / 10)``; one typical page is followed through its accesses in the window
  (:func:`page_churn`), which also says, before PostgreSQL 16, which non-HOT updates found room
  on their own page (prefix/suffix-compressed record, like a HOT update) and which moved;
- **runs of rows** (:class:`Runs`): updates and deletes reach their rows where they are, one
  page visit per row when the rows are scattered; a statement that changes a run of rows in
  index order reaches each page the run spans once. Rows changed per scan
  (``pg_stat_all_tables`` seq_scan + idx_scan, sampled with the row counters) say how long the
  runs are, the squared ``pg_stats.correlation`` of the B-tree indexes' leading columns how
  much of them lies on consecutive pages (the planner's weight in cost_index); this decides
  the expected pages touched and the visits that prune;
- **B-tree splits**: entries at random keys split a leaf for each half page they add once
  the leaves' free room is used up, right-most inserts (a serial key) at 90%;
- **full-page images**: the first change of a page after a checkpoint logs the page minus its
  hole. The pages a window touches first in its checkpoint cycle are bounded between
  "clustered" (changes fill whole pages in order) and "random" (``P (1 - exp(-N / P))`` of the
  ``P`` pages for ``N`` page visits spread uniformly); appended inserts go to new pages, which need
  no image; each index gets its random entries over its own share of the leaf pages. Where the
  window stands in its cycle comes from ``pg_control_checkpoint()`` (whole seconds; the changes
  before and after a checkpoint from the per-interval table changes) and the checkpoints
  counted in ``pg_stat_bgwriter`` / ``pg_stat_checkpointer`` during the window, else from
  ``checkpoint_timeout`` and ``max_wal_size``. With data checksums or ``wal_log_hints``, hint
  images of index pages holding dead entries are in the high end only.

Every figure is a low / expected / high range: the report says it is modelled, not measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from audit.estimate import overhead as oh
from audit.estimate.model import RowWidths
from audit.estimate.result import Range
from audit.facts import Facts, Table, WalSample
from audit.units import setting_bytes, setting_milliseconds

PAGE = 8192
PAGE_HEADER = 24
LINE_POINTER = 4
# replica-mode record sizes in LSN bytes (8-byte aligned), wal_overhead.md §2.3
HEAP_INSERT_FIXED = 35  # XLogRecord 24 + block ref 20 + xl_heap_insert 3 + header 5 + 2 - 23 + 4
HOT_UPDATE_RECORD = 72  # one small column changed, prefix/suffix compressed
CROSS_PAGE_UPDATE_FIXED = 50  # 65 - 23 + a second block reference (same relation) 8
DELETE_RECORD = 56
COMMIT_RECORD = 40
# heap pruning (XLOG_HEAP2_PRUNE, PRUNE_ON_ACCESS on 17+): XLogRecord 24 + block ref 20 + main
# data header 2 + xl_heap_prune 8, then 2 B per offset (a redirect is a pair), aligned
PRUNE_FIXED = 54
INDEX_INSERT_FIXED = 50  # XLogRecord 24 + block ref 20 + main data 2 + offset 2, aligned
INDEX_ENTRY = 20  # IndexTupleData 8 + a 4-8 B key, aligned, + its line pointer
IMAGE_HEADER = 28  # block reference with an image: header 20 + image header 5, aligned
# B-tree page splits (nbtinsert.c): a split logs the items that move to the new right page and
# the downlink inserted into the parent (INSERT_UPPER, 72 B). A split at a random key moves
# the right half of a full leaf (a quarter to a half of a page: deduplicated posting lists move
# fewer bytes); the right-most leaf splits at the fillfactor (90%), moving about a tenth
SPLIT_RANDOM = Range(PAGE / 4, 3 * PAGE / 8, PAGE / 2) + Range.exact(72.0)
SPLIT_RIGHTMOST = 0.1 * PAGE + 64 + 72
TOAST_CHUNK = 2000  # bytes of a TOAST chunk (TOAST_MAX_CHUNK_SIZE for 8 KiB pages)
# leaf-page fill of a B-tree: 90% after CREATE INDEX, about 70% after random inserts
INDEX_FILL = Range(0.6, 0.85, 1.0)
CHECKPOINT_COMPLETION_TARGET = 0.9  # default; not collected
DEFAULT_TUPLE_BYTES = 100.0


@dataclass(frozen=True)
class TableShape:
    """What the model needs to know of one table's storage."""

    tuple_bytes: Range
    heap_pages: float
    rows_per_page: float
    index_pages: float
    index_count: Range
    index_entry_bytes: float  # all indexes of one row together
    toast_bytes_per_row: float

    @classmethod
    def of(cls, table: Table | None, widths: RowWidths | None) -> TableShape:
        tuple_bytes = widths.tuple_bytes if widths else Range.exact(DEFAULT_TUPLE_BYTES)
        slot = _align(tuple_bytes.expected) + LINE_POINTER
        heap = float(table.heap_bytes or 0) if table else 0.0
        # reltuples is an estimate: below one row it says nothing about a row's size
        rows = float(table.reltuples or 0) if table and (table.reltuples or 0) >= 1 else 0.0
        pages = max(1.0, heap / PAGE)
        per_page = rows / pages if rows else (PAGE - PAGE_HEADER) / slot
        per_page = max(1.0, min(per_page, (PAGE - PAGE_HEADER) / slot))
        index = float(table.index_bytes or 0) if table else 0.0
        entries = index * INDEX_FILL.expected / rows if rows and index else INDEX_ENTRY
        expected = max(1.0, round(entries / INDEX_ENTRY))
        count = (
            Range(1.0, expected, max(expected, entries / 16))
            if index or not table
            else Range.exact(0.0)
        )
        toast = float(table.toast_bytes or 0) / rows if table and rows else 0.0
        return cls(
            tuple_bytes=tuple_bytes,
            heap_pages=pages,
            rows_per_page=per_page,
            index_pages=max(1.0, index / PAGE),
            index_count=count,
            index_entry_bytes=entries if count.high else 0.0,
            toast_bytes_per_row=toast,
        )

    def heap_image(self) -> Range:
        """Bytes of one heap page's image: header, line pointers and tuples (the hole is left
        out); high = a full page (dead tuples the counters do not show)."""
        used = PAGE_HEADER + self.rows_per_page * (_align(self.tuple_bytes.expected) + LINE_POINTER)
        used = min(float(PAGE), used)
        return Range(used * 0.9, used, float(PAGE)) + Range.exact(IMAGE_HEADER)

    def index_image(self) -> Range:
        return INDEX_FILL.scale(PAGE) + Range.exact(IMAGE_HEADER)


def _align(value: float) -> float:
    return math.ceil(value / 8) * 8


def record_bytes(ops: oh.Ops, shape: TableShape, same: Range | None = None) -> Range:
    """Replica-mode record bytes of one table's row changes (full-page images and pruning
    apart); ``same``: the updates that stayed on their page (default: the counters' range)."""
    t = shape.tuple_bytes
    same = same if same is not None else ops.same_page_updates()
    cross = Range(ops.upd - same.high, ops.upd - same.expected, ops.upd - same.low)
    # every non-HOT update inserts into every index, whichever page its new version is on
    nonhot = ops.ins + max(0.0, ops.upd - min(ops.hot, ops.upd))
    index_inserts = Range(nonhot, nonhot, nonhot)
    per_index_row = Range(
        INDEX_INSERT_FIXED * shape.index_count.low + shape.index_entry_bytes * 0.8,
        INDEX_INSERT_FIXED * shape.index_count.expected + shape.index_entry_bytes,
        INDEX_INSERT_FIXED * shape.index_count.high + shape.index_entry_bytes * 1.2,
    )
    chunks = math.ceil(shape.toast_bytes_per_row / TOAST_CHUNK) if shape.toast_bytes_per_row else 0
    toast_insert = shape.toast_bytes_per_row + chunks * (HEAP_INSERT_FIXED + 2 * INDEX_INSERT_FIXED)

    def one(tuple_len: float, same_n: float, cross_n: float, idx_n: float, idx: float) -> float:
        return (
            ops.ins * (HEAP_INSERT_FIXED + tuple_len + toast_insert)
            + same_n * HOT_UPDATE_RECORD
            + cross_n * (CROSS_PAGE_UPDATE_FIXED + tuple_len)
            + ops.dele * (DELETE_RECORD + chunks * DELETE_RECORD)
            + idx_n * idx
        )

    low = one(t.low, same.high, cross.low, index_inserts.low, per_index_row.low)
    expected = one(
        t.expected, same.expected, cross.expected, index_inserts.expected, per_index_row.expected
    )
    high = one(t.high, same.low, cross.high, index_inserts.high, per_index_row.high)
    return Range(min(low, expected), expected, max(high, expected))


@dataclass(frozen=True)
class Runs:
    """How the rows that updates and deletes change lie on the heap.

    ``rows_per_scan``: rows changed per scan of the table (``(n_tup_upd + n_tup_del) /
    (seq_scan + idx_scan)`` over the window, at least 1). Reads scan too, so it is a lower
    bound on the rows each changing statement reached: one for single-row changes, the range
    for range deletes. ``ordered``: the share of those runs that lies on consecutive pages,
    the index scans' share of the scans times the squared correlation of the indexes' leading
    columns with the heap order (the weight costsize.c's cost_index gives between the
    perfectly correlated and the uncorrelated page counts; the least correlated B-tree index,
    as which one the changes used is in no statistic).
    """

    rows_per_scan: float = 1.0
    ordered: float = 0.0

    @classmethod
    def of(cls, ops: oh.Ops, scans: Mapping[str, int] | None, table: Table | None) -> Runs:
        if not scans:
            return SCATTERED
        index, seq = float(scans.get("idx_scan", 0)), float(scans.get("seq_scan", 0))
        changed = ops.upd + ops.dele
        if index + seq <= 0 or changed <= 0:
            return SCATTERED
        correlation = table.index_correlation if table else None
        ordered = index / (index + seq) * (correlation or 0.0) ** 2
        return cls(rows_per_scan=max(1.0, changed / (index + seq)), ordered=min(1.0, ordered))

    def page_visits(self, rows: float, rows_per_page: float) -> float:
        """Heap page visits of ``rows`` changed rows: one per row where they are scattered; one
        per page a run spans where it is ordered (a run of ``k`` rows from a random start spans
        ``1 + (k - 1) / rows per page`` pages)."""
        k = self.rows_per_scan
        spanned = 1.0 + (k - 1.0) / max(1.0, rows_per_page)
        return rows * ((1.0 - self.ordered) + self.ordered * spanned / k)


SCATTERED = Runs()


@dataclass(frozen=True)
class Churn:
    """What a table's updates and deletes do to the pages they find their rows on."""

    prunes: float  # heap pruning records (one per page access that prunes)
    prune_bytes: float
    same_page_nonhot: float  # non-HOT updates whose new version stayed on the old page
    pages: float  # distinct pages the updates and deletes touched


MAX_STEPS = 2_000  # page accesses simulated; beyond, the steady state is scaled


def page_churn(
    ops: oh.Ops, shape: TableShape, fillfactor: int | None, runs: Runs | None = None
) -> Churn:
    """Pruning and same-page placement on the pages updates and deletes touch (heapam.c).

    A page is pruned when it is accessed while it holds dead tuples and its free space is below
    ``max(BLCKSZ x (100 - fillfactor) / 100, BLCKSZ / 10)`` (heap_page_prune_opt, called once
    per heap page a scan moves to, not once per row); pruning frees the dead tuples' space. A
    HOT update takes a new tuple's space on its page; a non-HOT update does too where there is
    room (before 16 the counters do not say: the room decides), else its new version goes to
    another page; a delete takes none. One typical page is followed through its visits in the
    window (``visits / distinct pages`` of them, each changing ``rows / visits`` rows in the
    window's mix of operations; one row per visit unless ``runs`` says statements change runs
    of consecutive rows), starting from the free space its live rows leave and with no dead
    tuple (those of before the window are the range's high end).
    """
    hot = min(ops.hot, ops.upd)
    nonhot = max(0.0, ops.upd - hot)
    accesses = ops.upd + ops.dele
    if accesses <= 0:
        return Churn(0.0, 0.0, 0.0, 0.0)
    visits = (runs or SCATTERED).page_visits(accesses, shape.rows_per_page)
    pages = max(1.0, random_pages(visits, shape.heap_pages))
    per_page = visits / pages
    per_visit = accesses / visits
    tup = _align(shape.tuple_bytes.expected)
    slot = tup + LINE_POINTER
    free = max(0.0, PAGE - PAGE_HEADER - shape.rows_per_page * slot)
    minfree = max(PAGE * (100 - (fillfactor or 100)) / 100, PAGE / 10)
    if ops.newpage is not None:
        cross = min(nonhot, ops.newpage)
        mix = {"hot": hot, "same": nonhot - cross, "cross": cross, "del": ops.dele}
    else:
        mix = {"hot": hot, "nonhot": nonhot, "del": ops.dele}
    share = {k: v / accesses for k, v in mix.items() if v > 0}
    due = dict.fromkeys(share, 0.0)
    steps = min(math.ceil(per_page), MAX_STEPS)
    dead_bytes, dead_offsets, chains = 0.0, 0, False
    prunes, prune_bytes, same = [0.0], [0.0], [0.0]
    owed = 0.0  # rows of the visits so far not yet changed (a visit changes whole rows)
    for _ in range(steps):
        n, b, s = prunes[-1], prune_bytes[-1], same[-1]
        if dead_offsets and free < minfree:
            n += 1
            b += _align(PRUNE_FIXED + 2 * dead_offsets + (4 if chains else 0))
            free += dead_bytes
            dead_bytes, dead_offsets, chains = 0.0, 0, False
        owed += per_visit
        rows = max(1, math.floor(owed + 1e-9))
        owed -= rows
        for _ in range(rows):
            for k, v in share.items():
                due[k] += v
            kind = max(due, key=lambda k: due[k])
            due[kind] -= 1
            if kind == "hot":
                free, chains = max(0.0, free - tup), True
            elif kind == "same" or (kind == "nonhot" and free >= slot):
                free -= slot
                s += 1
            dead_bytes += tup
            dead_offsets += 1
        prunes.append(n)
        prune_bytes.append(b)
        same.append(s)

    def at(values: list[float]) -> float:
        if per_page >= steps:
            return values[-1] * per_page / steps
        lo = math.floor(per_page)
        return values[lo] + (values[lo + 1] - values[lo]) * (per_page - lo)

    return Churn(
        prunes=at(prunes) * pages,
        prune_bytes=at(prune_bytes) * pages,
        same_page_nonhot=min(nonhot, at(same) * pages),
        pages=pages,
    )


def pruning_bytes(ops: oh.Ops, churn: Churn) -> Range:
    """Pruning records: low half the simulated ones, high one more per page touched (dead tuples
    left from before the window), at most one per access."""
    if churn.prunes <= 0 and churn.pages <= 0:
        return Range.exact(0.0)
    per = churn.prune_bytes / churn.prunes if churn.prunes else float(_align(PRUNE_FIXED + 2))
    high = min(ops.upd + ops.dele, churn.prunes + churn.pages) * per
    return Range(churn.prune_bytes * 0.5, churn.prune_bytes, max(high, churn.prune_bytes))


def same_page_range(ops: oh.Ops, churn: Churn) -> Range:
    """Updates whose new version stayed on its page: the counters' range, expected from the
    page simulation where the counters do not say (before 16)."""
    same = ops.same_page_updates()
    if ops.newpage is not None:
        return same
    expected = min(same.high, max(same.low, min(ops.hot, ops.upd) + churn.same_page_nonhot))
    return Range(same.low, expected, same.high)


def split_bytes(ops: oh.Ops, shape: TableShape) -> Range:
    """B-tree page splits of the window: inserts at the right-most leaf (a serial key) fill it
    to 90% and split it; entries at random keys first fill the room the leaves have (their fill
    is INDEX_FILL), then split a leaf for each half page they add."""
    count = shape.index_count.expected
    if count <= 0 or shape.index_entry_bytes <= 0:
        return Range.exact(0.0)
    entry = shape.index_entry_bytes / count
    nonhot = max(0.0, ops.upd - min(ops.hot, ops.upd))
    scattered = (ops.ins * max(0.0, count - 1) + nonhot * count) * entry
    right = ops.ins * entry / (0.9 * PAGE) * SPLIT_RIGHTMOST

    def random_splits(fill: float) -> float:
        return max(0.0, scattered - shape.index_pages * (1 - fill) * PAGE) / (PAGE / 2)

    return Range(
        right + random_splits(INDEX_FILL.low) * SPLIT_RANDOM.low,
        right + random_splits(INDEX_FILL.expected) * SPLIT_RANDOM.expected,
        right + random_splits(INDEX_FILL.high) * SPLIT_RANDOM.high,
    )


def random_pages(changes: float, pages: float) -> float:
    """Distinct pages ``changes`` uniformly spread changes touch among ``pages``."""
    if changes <= 0 or pages <= 0:
        return 0.0
    return pages * -math.expm1(-changes / pages)


def clustered_pages(changes: float, pages: float, per_page: float) -> float:
    """Distinct pages when changes fill whole pages in order (a hot range, a purge order)."""
    if changes <= 0:
        return 0.0
    return min(pages, math.ceil(changes / max(1.0, per_page)))


@dataclass(frozen=True)
class Segment:
    """A stretch of the window inside one checkpoint cycle: its share of the window's changes,
    and the changes made in that cycle before it started (a range: low/high bound the images)."""

    share: float
    before: Range  # in shares of the window's changes


@dataclass(frozen=True)
class PageTouches:
    """Distinct pages first touched in their checkpoint cycle, per kind of access."""

    heap: Range
    index: Range


def first_touches(
    ops: oh.Ops,
    shape: TableShape,
    segments: Sequence[Segment],
    same: Range | None = None,
    runs: Runs | None = None,
) -> PageTouches:
    """Pages whose first change after a checkpoint falls in the window (each logs an image);
    expected: updates and deletes reach random pages, one per row or, where ``runs`` says the
    rows changed lie in runs on consecutive pages, one per page a run spans."""
    same = same if same is not None else ops.same_page_updates()
    scattered = ops.upd + ops.dele  # updates and deletes find their row where it is
    visits = (runs or SCATTERED).page_visits(scattered, shape.rows_per_page)
    moved = max(0.0, ops.upd - same.expected)  # new versions go where there is room
    nonhot = max(0.0, ops.upd - min(ops.hot, ops.upd))  # each inserts into every index
    idx_rows = ops.ins + nonhot
    count = shape.index_count
    heap = [0.0, 0.0, 0.0]
    index = [0.0, 0.0, 0.0]
    for seg in segments:
        for i, before in enumerate((seg.before.high, seg.before.expected, seg.before.low)):
            # i = 0: low images (most of the cycle already done), 2: high
            def new(
                fn: Any, n: float, *args: float, b: float = before, s: float = seg.share
            ) -> float:
                return float(fn((b + s) * n, *args) - fn(b * n, *args))

            p, r = shape.heap_pages, shape.rows_per_page
            if i == 0:
                heap[i] += new(clustered_pages, scattered + moved, p, r)
                index[i] += new(clustered_pages, nonhot * count.low, shape.index_pages, r)
            elif i == 1:
                heap[i] += new(random_pages, visits, p) + new(clustered_pages, moved, p, r)
                heap[i] += 1.0 if ops.ins else 0.0  # the partly filled last page
                # the indexes share the leaf pages equally (only their sum is collected):
                # every non-HOT update inserts into each at a random key; an insert goes to
                # one index's right-most leaf (a serial key) and to the others at random keys
                c = max(1.0, count.expected)
                each = shape.index_pages / c
                index[i] += new(random_pages, nonhot, each)
                index[i] += (c - 1) * new(random_pages, nonhot + ops.ins, each)
                index[i] += 1.0 if ops.ins else 0.0  # the right-most leaf
            else:
                heap[i] += new(random_pages, scattered + moved + ops.ins, p)
                index[i] += new(random_pages, idx_rows * count.high, shape.index_pages)
    return PageTouches(heap=_ordered(heap), index=_ordered(index))


def _ordered(values: Sequence[float]) -> Range:
    """low / expected / high from three bounds that need not be in order."""
    low, high = min(values), max(values)
    return Range(low, min(high, max(low, values[1])), high)


@dataclass
class Cycle:
    """How the window splits into checkpoint cycles, and which signal said so."""

    segments: list[Segment]
    signal: str
    inputs: dict[str, Any] = field(default_factory=dict)


def _checkpoint_times(samples: Sequence[WalSample]) -> list[datetime]:
    times: list[datetime] = []
    for s in samples:
        if s.checkpoint_time is not None and (not times or s.checkpoint_time != times[-1]):
            times.append(s.checkpoint_time)
    return times


def _first_seen(samples: Sequence[WalSample]) -> dict[datetime, datetime]:
    """When each checkpoint_time was first read."""
    seen: dict[datetime, datetime] = {}
    for s in samples:
        if s.checkpoint_time is not None:
            seen.setdefault(s.checkpoint_time, s.at)
    return seen


def _starting_change_rate(samples: Sequence[WalSample]) -> float:
    """The row changes per second at the window's start (its first interval that has the
    per-interval table changes), in shares of the window's changes: the best reading of the
    rate just before the window. The window's mean where the samples have none."""
    total = 0.0
    first: float | None = None
    first_seconds = 0.0
    for before, after in pairwise(samples):
        if after.table_changes is None:
            first = None
            break
        changes = float(sum(sum(v) for v in after.table_changes.values()))
        total += changes
        if first is None:
            first, first_seconds = changes, (after.at - before.at).total_seconds()
    seconds = (samples[-1].at - samples[0].at).total_seconds() if samples else 0.0
    if first is None or total <= 0 or first_seconds <= 0:
        return 1.0 / seconds if seconds > 0 else 0.0
    return first / first_seconds / total


def _counted(samples: Sequence[WalSample]) -> int | None:
    usable = [s.checkpoints for s in samples if s.checkpoints is not None]
    if len(usable) < 2:
        return None
    return max(0, usable[-1] - usable[0])


def _change_shares(samples: Sequence[WalSample], bounds: Sequence[datetime]) -> list[float]:
    """Each stretch's share of the window's row changes, from the per-interval table changes
    (a change counted at a sample happened during the interval before it, placed pro rata
    where a bound falls inside it); by time where the samples have none."""
    seconds = max(1e-9, (bounds[-1] - bounds[0]).total_seconds())
    by_time = [(b - a).total_seconds() / seconds for a, b in pairwise(bounds)]
    weights = [0.0] * (len(bounds) - 1)
    for before, after in pairwise(samples):
        if after.table_changes is None:
            return by_time
        changes = float(sum(sum(v) for v in after.table_changes.values()))
        span = (after.at - before.at).total_seconds()
        if not changes:
            continue
        for i, (a, b) in enumerate(pairwise(bounds)):
            lo, hi = max(a, before.at), min(b, after.at)
            overlap = (hi - lo).total_seconds()
            if span <= 0:
                weights[i] += changes if a < after.at <= b else 0.0
            elif overlap > 0:
                weights[i] += changes * overlap / span
    total = sum(weights)
    return [w / total for w in weights] if total > 0 else by_time


def configured_cycle_seconds(facts: Facts, wal_bytes_per_s: float) -> float:
    """The checkpoint cycle the settings give: checkpoint_timeout, or sooner when the WAL rate
    fills max_wal_size / (1 + checkpoint_completion_target)."""
    timeout_setting = facts.setting("checkpoint_timeout")
    ms = setting_milliseconds(timeout_setting) if timeout_setting else None
    timeout = ms / 1000 if ms and ms > 0 else 300.0
    size_setting = facts.setting("max_wal_size")
    size = setting_bytes(size_setting) if size_setting else None
    size = size if size and size > 0 else 1024**3
    if wal_bytes_per_s <= 0:
        return timeout
    return min(timeout, size / (1 + CHECKPOINT_COMPLETION_TARGET) / wal_bytes_per_s)


def window_cycles(facts: Facts, wal_bytes_per_s: float) -> Cycle:
    """The window's checkpoint cycles from the best signal sampled."""
    sampling = facts.sampling
    assert sampling is not None
    samples = sampling.samples
    start, end = sampling.started_at, sampling.ended_at
    seconds = max(1e-9, (end - start).total_seconds())
    times = _checkpoint_times(samples)
    counted = _counted(samples)
    # every checkpoint_time that changed during the window is a checkpoint that completed in it
    # (seen first at a sample); a spread checkpoint may have begun before the window
    seen = _first_seen(samples)
    new_times = times[1:]
    # two checkpoints in one second look like one: then the count decides
    if times and times[0] <= start and (counted is None or counted <= len(new_times)):
        # pg_control_checkpoint() truncates to whole seconds: a checkpoint began in the second
        # its time names, and no later than the sample that first saw it
        half, one_second = timedelta(seconds=0.5), timedelta(seconds=1)
        began = [min(t + half, seen.get(t, t + half)) for t in times]
        inside = sorted(b for b in began[1:] if start < b < end)
        bounds = [start, *inside, end]
        last = max([t for t in times if t <= start], default=times[0])
        ages = [
            max(0.0, (start - min(last + d, seen.get(last, last + d))).total_seconds())
            for d in (one_second, half, timedelta(0))
        ]
        rate = _starting_change_rate(samples)  # shares of the window's changes per second
        before = Range(ages[0] * rate * 0.5, ages[1] * rate, ages[2] * rate * 2)
        shares = _change_shares(samples, bounds)
        segments = [
            Segment(share, before if i == 0 else Range.exact(0.0)) for i, share in enumerate(shares)
        ]
        return Cycle(
            segments,
            "pg_control_checkpoint() checkpoint_time at every sample",
            {
                "checkpoints_in_window": len(new_times),
                "cycle_age_seconds": ages[1],
                "segment_change_shares": [round(x, 3) for x in shares],
            },
        )
    cycle = configured_cycle_seconds(facts, wal_bytes_per_s)
    inputs: dict[str, Any] = {"configured_cycle_seconds": cycle}
    if counted is not None:
        signal = "checkpoints counted in the window (pg_stat_bgwriter / pg_stat_checkpointer)"
        inputs["checkpoints_in_window"] = counted
        n = counted
    else:
        signal = "checkpoint cycle from checkpoint_timeout and max_wal_size (nothing sampled)"
        n = int(seconds // cycle)
    cycle_share = max(1.0 / (n + 1), cycle / seconds) if n else max(1.0, cycle / seconds)
    if n == 0:
        # one cycle, the window anywhere inside it
        room = max(0.0, cycle_share - 1.0)
        return Cycle([Segment(1.0, Range(0.0, room / 2, room))], signal, inputs)
    whole = 1.0 / (n + 1)
    first_room = max(0.0, cycle_share - whole)
    segments = [Segment(whole, Range(0.0, first_room / 2, first_room))]
    segments += [Segment(whole, Range.exact(0.0)) for _ in range(n)]
    return Cycle(segments, signal, inputs)


@dataclass
class ModelledWal:
    """Replica-mode WAL bytes over the window, by component, with what it was built from."""

    total: Range
    components: dict[str, Range]
    inputs: dict[str, Any]
    assumptions: list[str]
    # per table, the updates whose new version stayed on its page (the page simulation's
    # expected value before 16): the statistics predictor's same-page term on this method
    same_page_updates: dict[str, Range] = field(default_factory=dict)


def hints_logged(facts: Facts) -> bool:
    """Whether hint-bit changes log full-page images: data checksums or wal_log_hints."""
    if facts.server is not None and facts.server.data_checksums:
        return True
    setting = facts.setting("wal_log_hints")
    return setting is not None and str(setting.value).lower() in ("on", "true", "1")


def _lower_first(r: Range) -> Range:
    return Range(r.low, max(r.low, r.expected), max(r.low, r.expected, r.high))


def modelled_wal(facts: Facts, widths: Mapping[str, RowWidths]) -> ModelledWal | None:
    """The window's replica-mode WAL from row changes and checkpoints; None without deltas."""
    sampling = facts.sampling
    if sampling is None or not sampling.table_deltas:
        return None
    tables = {t.qualified_name: t for t in facts.tables or []}
    logged = {
        name: oh.Ops.from_delta(delta)
        for name, delta in sampling.table_deltas.items()
        if not oh.writes_no_wal(name, tables.get(name))
    }
    shapes = {name: TableShape.of(tables.get(name), widths.get(name)) for name in logged}
    records = Range.exact(0.0)
    pruning = Range.exact(0.0)
    splits = Range.exact(0.0)
    same: dict[str, Range] = {}
    runs = {
        name: Runs.of(ops, sampling.table_scans.get(name), tables.get(name))
        for name, ops in logged.items()
    }
    for name, ops in logged.items():
        table = tables.get(name)
        churn = page_churn(ops, shapes[name], table.fillfactor if table else None, runs[name])
        same[name] = same_page_range(ops, churn)
        records = records + record_bytes(ops, shapes[name], same[name])
        splits = splits + split_bytes(ops, shapes[name])
        pruning = pruning + pruning_bytes(ops, churn)
    commits = oh.commits_in_window(facts, sum(ops.changes for ops in logged.values()))
    commit_bytes = commits[0].scale(COMMIT_RECORD) if commits else Range.exact(0.0)
    seconds = max(1e-9, (sampling.ended_at - sampling.started_at).total_seconds())
    # the cycle length depends on the WAL rate: first guess records x 2 (half images)
    cycle = window_cycles(
        facts,
        2
        * (records.expected + pruning.expected + splits.expected + commit_bytes.expected)
        / seconds,
    )
    images = Range.exact(0.0)
    pages = {"heap": 0.0, "index": 0.0}
    hints = hints_logged(facts)
    for name, ops in logged.items():
        shape = shapes[name]
        touched = first_touches(ops, shape, cycle.segments, same[name], runs[name])
        pages["heap"] += touched.heap.expected
        pages["index"] += touched.index.expected
        heap_image, index_image = shape.heap_image(), shape.index_image()
        images = images + Range(
            touched.heap.low * heap_image.low + touched.index.low * index_image.low,
            touched.heap.expected * heap_image.expected
            + touched.index.expected * index_image.expected,
            touched.heap.high * heap_image.high + touched.index.high * index_image.high,
        )
        if hints:
            # with checksums (or wal_log_hints) a hint set on a page not yet imaged in its cycle
            # logs an image (XLOG_FPI_FOR_HINT): index entries of deleted or moved rows marked
            # dead by a later lookup of the same key. How often a workload looks a dead key up
            # again is in no statistic: the high end images every index page they may be on
            dead = ops.dele + max(0.0, ops.upd - min(ops.hot, ops.upd))
            extra = random_pages(dead, shape.index_pages) * index_image.high
            images = images + Range(0.0, 0.0, extra)
    images = _lower_first(images)
    total = records + pruning + splits + commit_bytes + images
    inputs: dict[str, Any] = {
        "sampling.table_deltas": len(logged),
        "checkpoint_signal": cycle.signal,
        **cycle.inputs,
        "pages_first_touched": {k: round(v) for k, v in pages.items()},
        "runs_on_consecutive_pages": {
            name: {"rows_per_scan": round(r.rows_per_scan, 1), "ordered": round(r.ordered, 3)}
            for name, r in runs.items()
            if r.ordered > 0 and r.rows_per_scan > 1
        },
    }
    if commits:
        inputs.update(commits[1])
    assumptions = [
        "modelled from row changes and checkpoints, not measured: no WAL position was readable",
        "records: heap insert t_len+31 B, HOT/same-page update 72 B, cross-page update t_len+50 B, "
        "delete 56 B, one B-tree insert per index (count from index size / rows) per insert and "
        "non-HOT update, TOAST chunks of inserted rows, 40 B per commit",
        "pruning: pages accessed while below the fillfactor's free space with dead tuples (about "
        "64 B per prune); B-tree splits once the leaves' room is used (3 KiB each)",
        "updates and deletes reach random pages, one page visit per row; where the rows changed "
        "per scan (seq_scan + idx_scan) exceed one and the B-tree indexes follow the heap order "
        "(pg_stats.correlation), one visit per page each statement's run of rows spans "
        "(weighted by the index scans' share x correlation squared, as the planner does)",
        "full-page images: first change of each page per checkpoint cycle; pages between "
        "'clustered' (low) and 'uniformly random' (high), expected from the page visits above for "
        "updates and deletes and appended for inserts; image = page minus its hole",
        f"checkpoints: {cycle.signal}",
        "one window only: p50 = p95 = max = mean",
    ]
    return ModelledWal(
        total=total,
        components={
            "records": records,
            "pruning": pruning,
            "index_splits": splits,
            "commits": commit_bytes,
            "full_page_images": images,
        },
        inputs=inputs,
        assumptions=assumptions,
        same_page_updates=same,
    )
