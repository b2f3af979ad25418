"""Snapshot duration for the profile, the WAL it holds, and the catch-up after it.

A table is copied at the pace of its slower side: the database reading it (measured by the
read probe, scaled by rows and bytes) or the consumer taking it (profile defaults, or
``options``). Workers copy whole tables in parallel (Debezium ``snapshot.max.threads``, DMS
``MaxFullLoadSubTasks``, native ``max_sync_workers_per_subscription``); a Debezium incremental
snapshot reads one chunk at a time and pays a watermark round trip per chunk.

While an initial snapshot runs, the slot already exists: WAL retained = logical WAL rate x
(snapshot + catch-up). The catch-up drains the backlog at the consumer's spare rate.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from audit.engine.profile import Profile
from audit.estimate import defaults as d
from audit.estimate import native_sync as ns
from audit.estimate.model import Snapshot, SnapshotAlternative, SnapshotTable
from audit.estimate.options import EstimateOptions, MeasuredSnapshot
from audit.estimate.probed import probed_decode_rate
from audit.estimate.result import Range
from audit.estimate.widths import row_count
from audit.facts import Facts, Table, TableKind
from audit.facts.capacity import DecodingProbe, ReadProbe, ReadProbeTable

# Sampling the first K chunks (chunk 0 skipped) predicted the full keyset read within ±11-16%
# on average and -35%..+46% worst case (wal_overhead.md §5); cold caches cost keyset reads
# 1.1-1.5x. Time factors (low, high) by the number of chunks timed:
PROBE_TIME_SPREAD = ((50, (0.75, 1.35 * 1.3)), (20, (0.7, 1.45 * 1.3)), (1, (0.6, 1.8 * 1.3)))
PER_TABLE_LIMIT = 10
INF = math.inf
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReadRate:
    rows_per_s: Range
    bytes_per_s: Range
    source: str
    inputs: dict[str, Any]


def snapshot_tables(facts: Facts) -> tuple[list[Table], list[str]]:
    """Tables a snapshot copies (ordinary, logged, with a size) and those whose size is unknown."""
    chosen: list[Table] = []
    unknown: list[str] = []
    for table in facts.tables or []:
        if table.kind is not TableKind.ORDINARY or table.unlogged:
            continue
        if table.heap_bytes is None or row_count(table) is None:
            unknown.append(table.qualified_name)
            continue
        chosen.append(table)
    return chosen, unknown


def _timed(probe_table: ReadProbeTable) -> tuple[int, float]:
    """Rows and seconds of the chunks after chunk 0 (chunk 0 pays cold caches and planning)."""
    counts, seconds = probe_table.chunk_row_counts, probe_table.chunk_seconds
    if len(counts) > 1:
        return sum(counts[1:]), sum(seconds[1:])
    return sum(counts), sum(seconds)


def database_read_rate(probe: ReadProbe | None, tables: Mapping[str, Table]) -> ReadRate:
    """Rows/s and heap bytes/s of one connection reading keyset chunks."""
    rows = seconds = heap_bytes = 0.0
    chunks = 0
    used: list[str] = []
    for result in probe.tables if probe else []:
        n, s = _timed(result)
        table = tables.get(result.table)
        if n == 0 or s <= 0 or table is None:
            continue
        per_row = ((table.heap_bytes or 0) + (table.toast_bytes or 0)) / max(
            row_count(table) or 1, 1
        )
        rows += n
        seconds += s
        heap_bytes += n * per_row
        chunks += max(len(result.chunk_seconds) - 1, 1)
        used.append(result.table)
    if seconds <= 0:
        return ReadRate(
            d.DEFAULT_DB_ROWS_PER_S,
            d.DEFAULT_DB_BYTES_PER_S,
            "lab default (read probe not run): keyset reads of 200 B rows on a 2-vCPU VM, "
            "wal_overhead.md §5",
            {"read_probe": None},
        )
    low_time, high_time = next(f for k, f in PROBE_TIME_SPREAD if chunks >= k)
    rows_rate, bytes_rate = rows / seconds, heap_bytes / seconds
    return ReadRate(
        Range(rows_rate / high_time, rows_rate, rows_rate / low_time),
        Range(bytes_rate / high_time, bytes_rate, bytes_rate / low_time),
        f"read probe: {int(rows)} rows in {chunks} keyset chunks of {', '.join(used)} "
        "(chunk 0 skipped)",
        {
            "read_probe.rows": rows,
            "read_probe.seconds": seconds,
            "read_probe.chunks_timed": chunks,
            "read_probe.chunk_rows": probe.chunk_rows if probe else None,
        },
    )


def _stage_seconds(
    rows: Floats, size: Floats, rates: Sequence[tuple[Range, Range]]
) -> tuple[Floats, Floats, Floats]:
    """Per table, the slowest stage: for each (rows/s, bytes/s) pair, the larger of rows and
    bytes time; low, expected and high (element-wise float64, the same IEEE operations as one
    table at a time)."""

    def at(pick: int) -> Floats:
        worst = np.zeros(len(rows))
        for row_rate, byte_rate in rates:
            r = (row_rate.high, row_rate.expected, row_rate.low)[pick]
            b = (byte_rate.high, byte_rate.expected, byte_rate.low)[pick]
            worst = np.maximum(worst, rows / r if r > 0 else np.full(len(rows), INF))
            worst = np.maximum(worst, size / b if b > 0 else np.full(len(rows), INF))
        return worst

    return at(0), at(1), at(2)


def _makespan(durations: Sequence[float], workers: int) -> float:
    """Longest-processing-time-first schedule of whole tables on ``workers`` workers."""
    ordered = sorted(durations, reverse=True)
    if workers <= 1:  # one worker copies them one after the other (the same additions)
        total = 0.0
        for duration in ordered:
            total += duration
        return total
    loads = [0.0] * workers
    for duration in ordered:
        least = heapq.heappop(loads)
        heapq.heappush(loads, least + duration)
    return max(loads)


def _consumer(
    profile: Profile, options: EstimateOptions
) -> tuple[d.SnapshotDefaults, Range, Range, Range, str]:
    default = d.PROFILE_DEFAULTS.get(profile.name, d.PROFILE_DEFAULTS["generic"])
    rows = default.rows_per_s
    size = default.bytes_per_s
    events = default.events_per_s
    source = default.source
    if options.consumer_rows_per_s is not None:
        rows = Range.exact(options.consumer_rows_per_s)
        source = "options.consumer_rows_per_s"
    if options.consumer_bytes_per_s is not None:
        size = Range.exact(options.consumer_bytes_per_s)
    if options.consumer_events_per_s is not None:
        events = Range.exact(options.consumer_events_per_s)
    return default, rows, size, events, source


def catch_up_seconds(
    hold: Range, event_rate: float, events_capacity: Range, wal_rate: Range, decode: Range
) -> Range:
    """Time to drain what piled up during ``hold``: backlog / spare capacity (inf if none)."""

    def drain(backlog: float, arriving: float, capacity: float) -> float:
        if backlog <= 0:
            return 0.0
        return backlog / (capacity - arriving) if capacity > arriving else INF

    low = max(
        drain(event_rate * hold.low, event_rate, events_capacity.high),
        drain(wal_rate.low * hold.low, wal_rate.low, decode.high),
    )
    expected = max(
        drain(event_rate * hold.expected, event_rate, events_capacity.expected),
        drain(wal_rate.expected * hold.expected, wal_rate.expected, decode.expected),
    )
    high = max(
        drain(event_rate * hold.high, event_rate, events_capacity.low),
        drain(wal_rate.high * hold.high, wal_rate.high, decode.low),
    )
    return Range(low, max(low, expected), max(low, expected, high))


@dataclass(frozen=True)
class Copies:
    """Every table's copy time, one array element per table, in the order of the plan's tables."""

    low: Floats
    expected: Floats
    high: Floats

    def at(self, index: int) -> Range:
        return Range(float(self.low[index]), float(self.expected[index]), float(self.high[index]))


class Plan:
    """What a snapshot copies and how fast each stage goes.

    Rows, bytes and the per-table copy times are computed once, for all tables at once; the
    incremental mode adds its watermark round trips to the same base times."""

    def __init__(
        self,
        tables: list[Table],
        rates: list[tuple[Range, Range]],  # (rows/s, bytes/s): database first, then consumer
        workers: int,
        chunk: int,
        native: NativeModel | None = None,
    ) -> None:
        self.names = [t.qualified_name for t in tables]
        self.row_list = [row_count(t) or 0.0 for t in tables]
        self.byte_list = [float((t.heap_bytes or 0) + (t.toast_bytes or 0)) for t in tables]
        self.rows = np.array(self.row_list, dtype=np.float64)
        self.bytes = np.array(self.byte_list, dtype=np.float64)
        self.rates = rates
        self.workers = workers
        self.chunk = chunk
        self.fixed = 0.0
        self.native = native is not None
        self.cpu_floor = Range.exact(0.0)  # native on limited cores: the CPU work's floor
        if native is None:
            self._base = Copies(*_stage_seconds(self.rows, self.bytes, rates))
        else:  # native table sync: the measured model (audit/estimate/native_sync.py)
            work = native_work(tables)
            times = ns.table_seconds(work, *rates[0], native.constants, native.spread)
            self._base = Copies(times.low, times.expected, times.high)
            self.fixed = native.constants.subscription_seconds
            if native.cores is not None:
                floor = ns.cpu_floor_seconds(work, times.apply, native.cores)
                self.cpu_floor = Range(floor * native.spread[0], floor, floor * native.spread[1])
        # high end: the database side does not scale past one connection
        self._db_only = sum(_stage_seconds(self.rows, self.bytes, rates[:1])[2].tolist())

    def copies(self, incremental: bool) -> Copies:
        if not incremental:
            return self._base
        chunks = np.ceil(self.rows / self.chunk)
        window = d.INCREMENTAL_WINDOW_SECONDS
        return Copies(
            self._base.low + window.low * chunks,
            self._base.expected + window.expected * chunks,
            self._base.high + window.high * chunks,
        )

    def total(self, items: Copies, workers: int) -> Range:
        floor = self.cpu_floor
        low = max(_makespan(items.low.tolist(), workers), floor.low) + self.fixed
        expected = max(_makespan(items.expected.tolist(), workers), floor.expected) + self.fixed
        # native: the high end gains nothing from more sync workers (a publisher or subscriber
        # without a spare core per worker, as on the bench's shared 2-vCPU VM)
        high_workers = 1 if self.native else workers
        high = max(_makespan(items.high.tolist(), high_workers) + self.fixed, self._db_only)
        return Range(low, max(low, expected), max(low, expected, high))

    def longest(self, items: Copies, count: int) -> list[SnapshotTable]:
        """The ``count`` longest copies, longest first (ties in table order)."""
        order = np.argsort(-items.expected, kind="stable")[:count].tolist()
        return [
            SnapshotTable(
                table=self.names[i],
                rows=self.row_list[i],
                heap_toast_bytes=self.byte_list[i],
                seconds=items.at(i),
            )
            for i in order
        ]

    def hold(self, mode: str, items: Copies, seconds: Range) -> tuple[Range, str]:
        """How long the slot holds WAL while the copy runs, and why."""
        if mode == "debezium_incremental":
            longest_chunk = Range.exact(0.0)
            counted = self.rows != 0
            if counted.any():
                rows = self.rows[counted]
                chunk_bytes = self.bytes[counted] / rows * self.chunk
                chunk = Copies(
                    *_stage_seconds(np.full(len(rows), float(self.chunk)), chunk_bytes, self.rates)
                )
                longest_chunk = chunk.at(int(np.argmax(chunk.high)))
            return longest_chunk + Range.exact(d.OFFSET_FLUSH_SECONDS), (
                "incremental snapshot: streaming continues, the slot advances with each offset "
                f"commit (offset.flush.interval.ms = {d.OFFSET_FLUSH_SECONDS:g} s): WAL is held "
                "for about one flush interval plus one chunk"
            )
        if mode == "native_table_sync":
            return items.at(int(np.argmax(items.expected))), (
                "native table sync: each table's sync slot holds WAL while that table is "
                "copied; the longest table sets the WAL held"
            )
        return seconds, "the slot is created before the snapshot: WAL is held for all of it"


@dataclass(frozen=True)
class DecodeRate:
    """The decode rate chosen for this report, where it came from, and whether it was
    measured on the audited server."""

    rate: Range
    source: str
    probed: bool = False


def choose_decode_rate(options: EstimateOptions, probe: DecodingProbe | None = None) -> DecodeRate:
    """Bytes per second one walsender decodes: the option, else the decoding probe's
    measurement, else the benchmarked default. The one place the rate is chosen: the
    snapshot's catch-up and the decoding load (CDC504) read the same number and source."""
    if options.walsender_decode_bytes_per_s is not None:
        return DecodeRate(
            Range.exact(options.walsender_decode_bytes_per_s),
            "decode rate from the option walsender_decode_bytes_per_s",
        )
    measured = probed_decode_rate(probe)
    if measured is not None:
        return DecodeRate(measured[0], measured[1], probed=True)
    return DecodeRate(
        d.WALSENDER_DECODE_BYTES_PER_S,
        "decode rate from bench/change_stream_bench.py on a 2-vCPU VM (defaults.py)",
    )


@dataclass(frozen=True)
class NativeModel:
    """The native table-sync model's constants, the range it applies, which ones and why."""

    constants: ns.SyncConstants
    spread: tuple[float, float]
    note: str
    cores: ns.Cores | None = None  # None: a free core per sync worker


def native_work(tables: Sequence[Table]) -> ns.Work:
    """Rows, heap, TOAST and index bytes per table, for the native model."""

    def column(values: list[float]) -> Floats:
        return np.array(values, dtype=np.float64)

    return ns.Work(
        rows=column([row_count(t) or 0.0 for t in tables]),
        heap=column([float(t.heap_bytes or 0) for t in tables]),
        toast=column([float(t.toast_bytes or 0) for t in tables]),
        index=column([float(t.index_bytes or 0) for t in tables]),
    )


@dataclass(frozen=True)
class Calibration:
    """A measured snapshot of the user's consumer: its rate against the model's (> 1: faster)."""

    rate_factor: float
    amount: str
    per_worker_rate: float
    workers: int
    inputs: dict[str, Any]


def calibrate(
    measured: MeasuredSnapshot,
    workers: int,
    rows: Floats,
    size: Floats,
    model_seconds: Floats,
    fixed_seconds: float = 0.0,
) -> Calibration:
    """The measured run's per-worker rate against the model's rate over the audited tables.

    The measured run is taken to have copied tables like the audited ones (the same mix of
    widths and indexes): bytes (or rows) / seconds / workers, against the audited tables'
    bytes (or rows) / the model's expected seconds for them on one worker. ``fixed_seconds``
    (the native model's per-subscription and per-table overheads) come off the measured time
    first, at most half of it."""
    used = min(measured.workers or workers, measured.tables or 64)
    amount, total = ("bytes", size) if measured.bytes is not None else ("rows", rows)
    copied = measured.bytes if measured.bytes is not None else measured.rows
    assert copied is not None  # MeasuredSnapshot requires bytes or rows
    per_worker = copied / max(measured.seconds - fixed_seconds, measured.seconds / 2) / used
    model_total = float(model_seconds.sum())
    model_rate = float(total.sum()) / model_total if model_total > 0 else 0.0
    factor = per_worker / model_rate if model_rate > 0 else 1.0
    inputs = {
        **{f"measured_snapshot.{k}": v for k, v in measured.model_dump(exclude_none=True).items()},
        "fixed_seconds_deducted": min(fixed_seconds, measured.seconds / 2),
        f"measured_snapshot.{amount}_per_s_per_worker": per_worker,
        f"model.{amount}_per_s_per_worker": model_rate,
        "calibration_factor": factor,
    }
    return Calibration(factor, amount, per_worker, used, inputs)


def _workers(default: d.SnapshotDefaults, options: EstimateOptions) -> int:
    chosen = {
        "snapshot_threads": options.snapshot_threads,
        "dms_parallel_tables": options.dms_parallel_tables,
        "native_sync_workers": options.native_sync_workers,
    }[default.workers_option]
    return chosen if chosen is not None else default.workers


@dataclass(frozen=True)
class Retention:
    """How long the slot holds WAL, the catch-up after the copy, and the WAL held."""

    hold: Range | None = None
    catch_up: Range | None = None
    retained: Range | None = None


def _retention(
    inputs: dict[str, Any],
    assumptions: list[str],
    *,
    hold: Range,
    incremental: bool,
    logical_rate: Range | None,
    event_rate: float | None,
    events_capacity: Range,
    decode: Range,
) -> Retention:
    if logical_rate is None:
        assumptions.append("no WAL rate: retained WAL and catch-up are unavailable")
        return Retention()
    catch_up = Range.exact(0.0)
    if event_rate is None:
        assumptions.append("no row-change rate: catch-up time left out (0)")
    elif not incremental:
        catch_up = catch_up_seconds(hold, event_rate, events_capacity, logical_rate, decode)
        assumptions.append(
            "catch-up: backlog / (consumer events/s - change events/s), and backlog WAL / "
            "(walsender decode rate - logical WAL rate); infinite when the consumer is slower"
        )
    inputs["logical_wal_bytes_per_s"] = logical_rate.as_dict()
    inputs["change_events_per_s"] = event_rate
    inputs["walsender_decode_bytes_per_s"] = decode.as_dict()
    return Retention(hold, catch_up, (hold + catch_up).times(logical_rate))


CALIBRATED_SPREAD = (1 / ns.CALIBRATED_SPREAD[1], 1 / ns.CALIBRATED_SPREAD[0])  # rates


def _consumer_model(
    tables: list[Table],
    version_num: int | None,
    mode: str,
    options: EstimateOptions,
    workers: int,
    consumer: tuple[Range, Range],
) -> tuple[NativeModel | None, Calibration | None]:
    """The native model (unless consumer rates are given) and the calibration, if any."""
    native: NativeModel | None = None
    explicit = options.consumer_rows_per_s is not None or options.consumer_bytes_per_s is not None
    if mode == "native_table_sync" and not explicit:
        constants, note = ns.constants_for(version_num)
        cores = None
        if options.native_sync_cpus is not None:
            cores = ns.Cores(options.native_sync_cpus, options.native_sync_shared_host)
        native = NativeModel(constants, ns.APPLY_SPREAD, note, cores)
    measured = options.measured_snapshot
    if measured is None:
        return native, None
    rows = np.array([row_count(t) or 0.0 for t in tables], dtype=np.float64)
    size = np.array([float((t.heap_bytes or 0) + (t.toast_bytes or 0)) for t in tables])
    if native is not None:
        model = ns.apply_seconds(native_work(tables), native.constants)
        c = native.constants
        used = min(measured.workers or workers, measured.tables or 64)
        fixed = (
            c.subscription_seconds + c.per_table_seconds * (measured.tables or len(tables)) / used
        )
    else:
        model, fixed = _stage_seconds(rows, size, [consumer])[1], 0.0
    calibration = calibrate(measured, workers, rows, size, model, fixed)
    if native is not None and calibration.rate_factor > 0:
        native = NativeModel(
            native.constants.scaled(1 / calibration.rate_factor),
            ns.CALIBRATED_SPREAD,
            native.note,
            native.cores,
        )
    return native, calibration


def _consumer_inputs(
    native: NativeModel | None, source: str, rows: Range, size: Range, events: Range
) -> dict[str, Any]:
    if native is None:
        return {
            "source": source,
            "rows_per_s": rows.as_dict(),
            "bytes_per_s": size.as_dict(),
            "events_per_s": events.as_dict(),
        }
    c = native.constants
    return {
        "source": ns.SOURCE,
        "subscription_seconds": c.subscription_seconds,
        "per_table_seconds": c.per_table_seconds,
        "constants": native.note,
        "per_row_seconds": c.per_row_seconds,
        "per_heap_byte_seconds": c.per_heap_byte_seconds,
        "per_toast_byte_seconds": c.per_toast_byte_seconds,
        "per_key_index_byte_seconds": c.per_key_index_byte_seconds,
        "per_other_index_byte_seconds": c.per_other_index_byte_seconds,
        "key_index_bytes_per_row": ns.KEY_INDEX_BYTES_PER_ROW,
        "apply_spread": list(native.spread),
        "events_per_s": events.as_dict(),
        **(
            {}
            if native.cores is None
            else {
                "cores": native.cores.cores,
                "cores_shared_with_publisher": native.cores.shared_with_publisher,
            }
        ),
    }


def _cores_assumption(native: NativeModel | None, workers: int) -> list[str]:
    if native is None:
        return []
    if native.cores is None:
        return [
            f"a free CPU core per sync worker on each side ({workers}); set "
            "native_sync_cpus when the subscriber has fewer"
        ]
    shared = " shared with the publisher" if native.cores.shared_with_publisher else ""
    return [
        f"{native.cores.cores:g} subscriber core(s){shared} (options.native_sync_cpus): the "
        "syncs' measured CPU (the apply, "
        f"{ns.CPU.subscriber_per_table * 1000:g} ms per table"
        + (
            f", and the publisher's COPY at {ns.CPU.publisher_per_byte * 1e9:g} ns per byte"
            if native.cores.shared_with_publisher
            else ""
        )
        + ") fits in no less than its CPU seconds / cores, however many workers"
    ]


def snapshot_estimate(
    facts: Facts,
    profile: Profile,
    options: EstimateOptions,
    logical_rate: Range | None,
    event_rate: float | None,
) -> Snapshot:
    """``estimates.snapshot`` for the profile (see the module docstring)."""
    if facts.tables is None:
        return Snapshot.unavailable("tables were not collected", method="snapshot")
    tables, unknown = snapshot_tables(facts)
    if not tables:
        return Snapshot.unavailable("no table with a known size to copy", method="snapshot")
    read = database_read_rate(facts.read_probe, {t.qualified_name: t for t in facts.tables})
    default, c_rows, c_bytes, c_events, consumer_source = _consumer(profile, options)
    mode = default.mode
    if profile.name == "debezium" and options.snapshot_mode == "incremental":
        mode = "debezium_incremental"
    incremental = mode == "debezium_incremental"
    native, calibration = _consumer_model(
        tables,
        facts.server.version_num if facts.server else None,
        mode,
        options,
        _workers(default, options),
        (c_rows, c_bytes),
    )
    if calibration is not None and native is None:
        c_rows = Range.spread(c_rows.expected * calibration.rate_factor, *CALIBRATED_SPREAD)
        c_bytes = Range.spread(c_bytes.expected * calibration.rate_factor, *CALIBRATED_SPREAD)
        consumer_source = "options.measured_snapshot (the profile's default, rescaled)"
    plan = Plan(
        tables,
        [(read.rows_per_s, read.bytes_per_s), (c_rows, c_bytes)],
        _workers(default, options),
        options.incremental_chunk_rows or d.INCREMENTAL_CHUNK_ROWS,
        native,
    )
    workers = 1 if incremental else plan.workers
    items = plan.copies(incremental)
    seconds = plan.total(items, workers)
    hold, hold_note = plan.hold(mode, items, seconds)
    inputs: dict[str, Any] = {
        "tables": len(tables),
        "rows": sum(plan.row_list),
        "bytes (heap + TOAST)": sum(plan.byte_list),
        "workers": workers,
        "database read": {
            "source": read.source,
            **read.inputs,
            "rows_per_s": read.rows_per_s.as_dict(),
            "bytes_per_s": read.bytes_per_s.as_dict(),
        },
        "consumer": _consumer_inputs(native, consumer_source, c_rows, c_bytes, c_events),
    }
    window = d.INCREMENTAL_WINDOW_SECONDS
    assumptions = [
        "each table goes at the pace of its slower side: database read (rows/s and bytes/s of "
        "the read probe) or consumer (profile default or options)"
        if native is None
        else "each table takes the subscriber's apply time (rows, heap, TOAST and index bytes x "
        "measured costs) plus a measured per-table overhead (sync worker, sync slot, catch-up); "
        "the publisher's read (read probe, keyset chunks: slower than table sync's COPY) caps "
        "the high end only; the subscriber is assumed to have the publisher's indexes (as "
        "pg_dump --schema-only gives it); index bytes up to "
        f"{ns.KEY_INDEX_BYTES_PER_ROW:g} B per row are the primary key's, filled in key order, "
        "the rest other indexes, filled in random order",
        f"{mode}: {workers} worker(s); whole tables per worker, longest first; high end: the "
        "database side does not scale past one connection"
        + ("; nor do the sync workers (no spare core per worker)" if native else ""),
        *_cores_assumption(native, plan.workers),
        "low/high: read probe sampling error and cold caches (wal_overhead.md §5) and the "
        "consumer default's range",
        hold_note,
    ]
    if incremental:
        inputs["incremental_chunk_rows"] = plan.chunk
        assumptions.append(
            f"each chunk adds a watermark round trip of {window.low * 1000:g}-"
            f"{window.high * 1000:g} ms"
        )
    if unknown:
        assumptions.append("size unknown, left out: " + ", ".join(unknown))
    if calibration is not None:
        inputs["calibration"] = calibration.inputs
        assumptions.append(
            f"calibrated by options.measured_snapshot: {calibration.per_worker_rate:.4g} "
            f"{calibration.amount}/s per worker over {calibration.workers} worker(s), "
            f"{calibration.rate_factor:.3g}x the model's rate for these tables; the measured run "
            "is taken to have copied tables like these; range "
            f"{CALIBRATED_SPREAD[0]:g}x-{CALIBRATED_SPREAD[1]:g}x of the calibrated time"
        )
    per_table = plan.longest(items, PER_TABLE_LIMIT)
    retention = _retention(
        inputs,
        assumptions,
        hold=hold,
        incremental=incremental,
        logical_rate=logical_rate,
        event_rate=event_rate,
        events_capacity=c_events,
        decode=choose_decode_rate(options, facts.decoding_probe).rate,
    )
    alternatives: dict[str, SnapshotAlternative] = {}
    if profile.name == "debezium":
        other = "debezium_initial" if incremental else "debezium_incremental"
        alt_workers = plan.workers if incremental else 1
        alternatives[other] = SnapshotAlternative(
            seconds=plan.total(plan.copies(not incremental), alt_workers)
        )
    return Snapshot(
        method="snapshot",
        inputs=inputs,
        assumptions=assumptions,
        mode=mode,
        tables=len(tables),
        heap_toast_bytes=sum(plan.byte_list),
        workers=workers,
        seconds=seconds,
        per_table=per_table,
        catch_up_seconds=retention.catch_up,
        hold_seconds=retention.hold,
        retained_wal_bytes=retention.retained,
        alternatives=alternatives,
    )
