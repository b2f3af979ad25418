"""``estimates.recommendations``: settings derived from the other estimates, each with its why."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from audit.engine.profile import Profile
from audit.estimate import defaults as d
from audit.estimate.result import Range, is_ok, ok, range_of, unavailable
from audit.estimate.runway import free_disk, keep_size_bytes
from audit.estimate.snapshot import snapshot_tables
from audit.estimate.widths import RowWidths
from audit.facts import Facts

GIB = 1024**3
# Debezium buffers a whole chunk in memory; aim at ~4 MiB per chunk, between 256 and 16384
# rows (the lab's keyset reads ran 1.2x faster at 8192 rows than at 1024, wal_overhead.md §5)
CHUNK_TARGET_BYTES = 4 * 1024**2
CHUNK_MIN, CHUNK_MAX = 256, 16384
KEEP_SIZE_HEADROOM = 1.25
DISK_SHARE = 0.8  # leave a fifth of the free disk for everything else
# heartbeat: WAL written between two heartbeats stays under 1% of max_slot_wal_keep_size
HEARTBEAT_SHARE = 0.01
HEARTBEAT_MIN_S, HEARTBEAT_MAX_S, HEARTBEAT_DEFAULT_S = 10, 300, 60


def chunk_size(facts: Facts, widths: Mapping[str, RowWidths]) -> dict[str, Any]:
    tables, _ = snapshot_tables(facts)
    sized = [
        (t.heap_bytes or 0, widths[t.qualified_name]) for t in tables if t.qualified_name in widths
    ]
    if not sized:
        return unavailable("no table with a known row width")
    largest = sorted(sized, key=lambda x: x[0], reverse=True)[:5]
    widest = max(w.flat_bytes.expected for _, w in largest)
    rows = CHUNK_TARGET_BYTES / max(widest, 1.0)
    value = int(min(CHUNK_MAX, max(CHUNK_MIN, 2 ** math.floor(math.log2(max(rows, 1))))))
    return ok(
        "~4 MiB of rows per chunk, power of two, 256-16384",
        {"widest row among the 5 largest tables (bytes, TOAST inline)": widest},
        [
            "Debezium holds a whole chunk in memory; larger chunks need fewer queries "
            "(8192-row chunks read 1.2x faster than 1024 in the lab)",
        ],
        value=value,
        setting="incremental.snapshot.chunk.size",
        default=d.INCREMENTAL_CHUNK_ROWS,
    )


def keep_size(
    facts: Facts, options: Mapping[str, Any], snapshot: Mapping[str, Any]
) -> dict[str, Any]:
    if not is_ok(snapshot) or snapshot.get("retained_wal_bytes") is None:
        return unavailable("the WAL retained during the snapshot is unavailable")
    retained = range_of(snapshot, "retained_wal_bytes")
    if not math.isfinite(retained.high):
        return unavailable(
            "the consumer never catches up at the high end: no max_slot_wal_keep_size survives; "
            "raise consumer throughput or use an incremental snapshot"
        )
    need = retained.high * KEEP_SIZE_HEADROOM
    gigabytes = max(1, math.ceil(need / GIB))
    disk, disk_source = free_disk(facts, options)
    assumptions = [
        f"high end of the WAL retained during snapshot + catch-up, x{KEEP_SIZE_HEADROOM}, whole GB"
    ]
    fits: bool | None = None
    if disk is not None:
        fits = gigabytes * GIB <= disk * DISK_SHARE
        assumptions.append(f"must fit in {DISK_SHARE:.0%} of the free disk ({disk_source})")
    current = keep_size_bytes(facts)
    return ok(
        "retained WAL (high) x 1.25",
        {
            "snapshot.retained_wal_bytes.high": retained.high,
            "current_bytes": current,
            "free_disk_bytes": disk,
        },
        assumptions,
        value=f"{gigabytes}GB",
        bytes=gigabytes * GIB,
        fits_disk=fits,
        setting="max_slot_wal_keep_size",
    )


def heartbeat(profile: Profile, facts: Facts, p95: float | None) -> dict[str, Any]:
    if profile.name not in ("debezium", "dms"):
        return ok(
            "not needed",
            {"profile": profile.name},
            [
                "native subscriptions confirm the WAL position from keepalives even when no "
                "published table changes"
            ],
            value=None,
            setting=None,
        )
    if p95 is None or p95 <= 0:
        return unavailable("the logical WAL rate is unavailable")
    keep = keep_size_bytes(facts)
    budget = (keep if keep and keep > 0 else 10 * GIB) * HEARTBEAT_SHARE
    seconds = int(min(HEARTBEAT_MAX_S, max(HEARTBEAT_MIN_S, budget / p95)) // 10 * 10)
    seconds = max(seconds, HEARTBEAT_MIN_S)
    setting = "heartbeat.interval.ms" if profile.name == "debezium" else "HeartbeatFrequency"
    value: int = seconds * 1000 if profile.name == "debezium" else max(1, seconds // 60)
    return ok(
        "WAL between heartbeats <= 1% of max_slot_wal_keep_size (10 GB when unlimited)",
        {"p95_logical_bytes_per_s": p95, "max_slot_wal_keep_size_bytes": keep},
        [
            "a slot advances only when its consumer confirms a position; when the captured "
            "tables are quiet and the rest of the server is not, only heartbeats move it",
            "Debezium: also set heartbeat.action.query when the captured database itself is "
            "quiet (DMS: HeartbeatEnable=true, HeartbeatFrequency in minutes)",
        ],
        value=value,
        setting=setting,
        interval_seconds=seconds,
    )


def slots_and_senders(profile: Profile, facts: Facts) -> dict[str, Any]:
    slots = facts.slots or []
    existing_logical = sum(1 for s in slots if s.slot_type == "logical")
    physical = sum(1 for s in slots if s.slot_type == "physical")
    per_connector = profile.slots_per_connector + profile.sync_slots_per_connector
    new = profile.planned_connectors * per_connector
    need_slots = len(slots) + new + profile.spare_slots
    need_senders = existing_logical + physical + new + profile.spare_slots
    current: dict[str, Any] = {}
    for name in ("max_replication_slots", "max_wal_senders"):
        setting = facts.setting(name)
        current[name] = (
            int(setting.value) if setting is not None and setting.value.isdigit() else None
        )
    return ok(
        "existing slots + planned connectors x slots per connector + spare",
        {
            "slots": len(slots),
            "physical_slots": physical,
            "planned_connectors": profile.planned_connectors,
            "slots_per_connector": per_connector,
            "spare": profile.spare_slots,
            **current,
        },
        ["every slot in use needs a WAL sender; physical standbys hold one each"],
        max_replication_slots=max(need_slots, current["max_replication_slots"] or 0),
        max_wal_senders=max(need_senders, current["max_wal_senders"] or 0),
        needed_slots=need_slots,
        needed_wal_senders=need_senders,
    )


def decoding_load(options: Mapping[str, Any], logical: Range | None) -> dict[str, Any]:
    if logical is None:
        return unavailable("the logical WAL rate is unavailable")
    capacity = (
        Range.exact(float(options["walsender_decode_bytes_per_s"]))
        if "walsender_decode_bytes_per_s" in options
        else d.WALSENDER_DECODE_BYTES_PER_S
    )
    utilisation = Range(
        logical.low / capacity.high,
        logical.expected / capacity.expected,
        logical.high / capacity.low,
    )
    return ok(
        "logical WAL rate / one walsender's decoding rate",
        {
            "logical_bytes_per_s": logical.as_dict(),
            "walsender_decode_bytes_per_s": capacity.as_dict(),
        },
        [
            "a walsender decodes every WAL record of the server on one core, whatever its "
            "publication selects: splitting tables over more connectors does not lower it",
            "decode rate from bench/accuracy.py on a 2-vCPU VM unless options say otherwise",
        ],
        utilisation=utilisation,
        capacity_bytes_per_s=capacity,
    )
