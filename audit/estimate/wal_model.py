"""The WAL a window wrote, modelled from row changes and checkpoints where no WAL position can be
read (Aurora before ``rds.logical_replication`` is on): the ``row_changes`` rate method.

It rebuilds replica-mode WAL the way PostgreSQL writes it (wal_overhead.md §2.3, heapam.c):

- **records**: per operation, from the table's counters and row width: heap insert
  (``t_len + 31`` B), HOT / same-page update (72 B: only the changed bytes), cross-page update
  (``t_len + 50`` B: the whole new tuple, two block references), delete (56 B), one B-tree insert
  per index for every insert and non-HOT update (50 B + the index entry), TOAST chunks of
  inserted and deleted rows, one commit record (40 B) per write transaction;
- **full-page images**: the first change of a page after a checkpoint logs the page minus its
  hole. The pages a window touches first in its checkpoint cycle are bounded between
  "clustered" (changes fill whole pages in order) and "random" (``P (1 - exp(-N / P))`` of the
  ``P`` pages for ``N`` changes spread uniformly); appended inserts go to new pages, which need
  no image. Where the window stands in its cycle comes from ``pg_control_checkpoint()`` and the
  checkpoints counted in ``pg_stat_bgwriter`` / ``pg_stat_checkpointer`` during the window, else
  from ``checkpoint_timeout`` and ``max_wal_size``.

Every figure is a low / expected / high range: the report says it is modelled, not measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

import numpy as np

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
INDEX_INSERT_FIXED = 50  # XLogRecord 24 + block ref 20 + main data 2 + offset 2, aligned
INDEX_ENTRY = 20  # IndexTupleData 8 + a 4-8 B key, aligned, + its line pointer
IMAGE_HEADER = 28  # block reference with an image: header 20 + image header 5, aligned
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


def record_bytes(ops: oh.Ops, shape: TableShape) -> Range:
    """Replica-mode record bytes of one table's row changes (full-page images apart)."""
    t = shape.tuple_bytes
    same = ops.same_page_updates()
    cross = Range(ops.upd - same.high, ops.upd - same.expected, ops.upd - same.low)
    index_inserts = Range(ops.ins + cross.low, ops.ins + cross.expected, ops.ins + cross.high)
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


def first_touches(ops: oh.Ops, shape: TableShape, segments: Sequence[Segment]) -> PageTouches:
    """Pages whose first change after a checkpoint falls in the window (each logs an image)."""
    return first_touches_of([(ops, shape)], segments)[0]


def first_touches_of(
    tables: Sequence[tuple[oh.Ops, TableShape]], segments: Sequence[Segment]
) -> list[PageTouches]:
    """:func:`first_touches` of many tables over the same segments.

    A window crossing many checkpoints has many segments alike (every one after the first is
    a whole cycle): each distinct segment's pages are worked out once per table, then added
    segment by segment, in order, for all the tables at once (numpy adds float64 as Python
    adds floats, one term at a time: the sums are the same floats)."""
    distinct: dict[tuple[float, float, float, float], int] = {}
    order = [
        distinct.setdefault(
            (seg.share, seg.before.low, seg.before.expected, seg.before.high), len(distinct)
        )
        for seg in segments
    ]
    firsts = {i: seg for seg, i in zip(segments, order, strict=True)}
    terms: list[_SegmentTerms] = []
    for i in range(len(distinct)):
        pages = [_segment_pages(ops, shape, firsts[i]) for ops, shape in tables]
        terms.append(
            tuple(
                tuple(
                    tuple(
                        np.array([p[kind][bound][k] for p in pages], dtype=np.float64)
                        for k in range(len(pages[0][kind][bound]))
                    )
                    for bound in range(3)
                )
                for kind in range(2)
            )
            if pages
            else ()
        )
    if not tables:
        return []
    sums = np.zeros((2, 3, len(tables)), dtype=np.float64)
    for i in order:
        for kind in range(2):
            for bound in range(3):
                for term in terms[i][kind][bound]:
                    sums[kind, bound] += term
    heaps, indexes = sums.tolist()
    return [
        PageTouches(
            heap=_ordered([heaps[0][t], heaps[1][t], heaps[2][t]]),
            index=_ordered([indexes[0][t], indexes[1][t], indexes[2][t]]),
        )
        for t in range(len(tables))
    ]


# per bound (0 = low images ... 2 = high), the heap and the index pages to add, in order
_SegmentPages = tuple[tuple[tuple[float, ...], ...], tuple[tuple[float, ...], ...]]
# the same terms for many tables: one array per term, a value per table
_SegmentTerms = tuple[tuple[tuple[np.ndarray[Any, np.dtype[np.float64]], ...], ...], ...]


def _segment_pages(ops: oh.Ops, shape: TableShape, seg: Segment) -> _SegmentPages:
    """One segment's first-touched pages, as the terms :func:`first_touches` adds up."""
    same = ops.same_page_updates()
    scattered = ops.upd + ops.dele  # updates and deletes find their row where it is
    moved = max(0.0, ops.upd - same.expected)  # new versions go where there is room
    idx_rows = ops.ins + moved
    count = shape.index_count
    p, r = shape.heap_pages, shape.rows_per_page
    heap: list[tuple[float, ...]] = []
    index: list[tuple[float, ...]] = []
    for i, before in enumerate((seg.before.high, seg.before.expected, seg.before.low)):
        # i = 0: low images (most of the cycle already done), 2: high
        def new(fn: Any, n: float, *args: float, b: float = before, s: float = seg.share) -> float:
            return float(fn((b + s) * n, *args) - fn(b * n, *args))

        if i == 0:
            heap.append((new(clustered_pages, scattered + moved, p, r),))
            index.append(
                (
                    new(
                        clustered_pages,
                        max(0.0, ops.upd - same.high) * count.low,
                        shape.index_pages,
                        r,
                    ),
                )
            )
        elif i == 1:
            heap.append(
                (
                    new(random_pages, scattered, p) + new(clustered_pages, moved, p, r),
                    1.0 if ops.ins else 0.0,  # the partly filled last page
                )
            )
            index.append(
                (
                    new(random_pages, moved * count.expected, shape.index_pages),
                    new(random_pages, ops.ins * max(0.0, count.expected - 1), shape.index_pages),
                )
            )
        else:
            heap.append((new(random_pages, scattered + moved + ops.ins, p),))
            index.append((new(random_pages, idx_rows * count.high, shape.index_pages),))
    return tuple(heap), tuple(index)


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


def _counted(samples: Sequence[WalSample]) -> int | None:
    usable = [s.checkpoints for s in samples if s.checkpoints is not None]
    if len(usable) < 2:
        return None
    return max(0, usable[-1] - usable[0])


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
    inside = [t for t in times[1:] if start < t <= end]
    # pg_control_checkpoint() has whole seconds: two checkpoints in one second look like one
    if times and times[0] <= start and (counted is None or counted <= len(inside)):
        bounds = [start, *inside, end]
        age = (start - times[0]).total_seconds() / seconds
        segments = [
            Segment(
                (b - a).total_seconds() / seconds,
                Range(age * 0.5, age, age * 2) if i == 0 else Range.exact(0.0),
            )
            for i, (a, b) in enumerate(pairwise(bounds))
        ]
        return Cycle(
            segments,
            "pg_control_checkpoint() checkpoint_time at every sample",
            {"checkpoints_in_window": len(inside), "cycle_age_seconds": age * seconds},
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
    for name, ops in logged.items():
        records = records + record_bytes(ops, shapes[name])
    commits = oh.commits_in_window(facts, sum(ops.changes for ops in logged.values()))
    commit_bytes = commits[0].scale(COMMIT_RECORD) if commits else Range.exact(0.0)
    seconds = max(1e-9, (sampling.ended_at - sampling.started_at).total_seconds())
    # the cycle length depends on the WAL rate: first guess records x 2 (half images)
    cycle = window_cycles(facts, 2 * (records.expected + commit_bytes.expected) / seconds)
    images = Range.exact(0.0)
    pages = {"heap": 0.0, "index": 0.0}
    changed = [(ops, shapes[name]) for name, ops in logged.items()]
    touches = first_touches_of(changed, cycle.segments)
    for name, touched in zip(logged, touches, strict=True):
        shape = shapes[name]
        pages["heap"] += touched.heap.expected
        pages["index"] += touched.index.expected
        heap_image, index_image = shape.heap_image(), shape.index_image()
        images = images + Range(
            touched.heap.low * heap_image.low + touched.index.low * index_image.low,
            touched.heap.expected * heap_image.expected
            + touched.index.expected * index_image.expected,
            touched.heap.high * heap_image.high + touched.index.high * index_image.high,
        )
    images = _lower_first(images)
    total = records + commit_bytes + images
    inputs: dict[str, Any] = {
        "sampling.table_deltas": len(logged),
        "checkpoint_signal": cycle.signal,
        **cycle.inputs,
        "pages_first_touched": {k: round(v) for k, v in pages.items()},
    }
    if commits:
        inputs.update(commits[1])
    assumptions = [
        "modelled from row changes and checkpoints, not measured: no WAL position was readable",
        "records: heap insert t_len+31 B, HOT/same-page update 72 B, cross-page update t_len+50 B, "
        "delete 56 B, one B-tree insert per index (count from index size / rows) per insert and "
        "non-HOT update, TOAST chunks of inserted rows, 40 B per commit",
        "full-page images: first change of each page per checkpoint cycle; pages between "
        "'clustered' (low) and 'uniformly random' (high), expected random for updates and deletes "
        "and appended for inserts; image = page minus its hole",
        f"checkpoints: {cycle.signal}",
        "one window only: p50 = p95 = max = mean",
    ]
    return ModelledWal(
        total=total,
        components={"records": records, "commits": commit_bytes, "full_page_images": images},
        inputs=inputs,
        assumptions=assumptions,
    )
