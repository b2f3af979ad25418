"""``estimates.recommendations``: one recommended value per setting, each with its why.

Server parameters become :class:`SettingRecommendation` objects (running value, staged value,
the recommended value as ``postgresql.conf`` and as a parameter group take it, restart or not);
connector settings (snapshot chunk size, heartbeat interval) become :class:`ConnectorSetting`.
Everything that shows or applies a recommended value reads it from here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from audit.engine.profile import Profile
from audit.estimate import defaults as d
from audit.estimate.model import (
    ConnectorPlan,
    ConnectorSetting,
    Decoding,
    RowWidths,
    SettingRecommendation,
    Snapshot,
)
from audit.estimate.options import EstimateOptions
from audit.estimate.result import Range
from audit.estimate.runway import free_disk, keep_size_bytes
from audit.estimate.snapshot import choose_decode_rate, snapshot_tables
from audit.facts import Facts
from audit.facts.capacity import DecodingProbe
from audit.platform.staged import staged_settings
from audit.units import GIB, setting_bytes, setting_milliseconds, size_setting

# Debezium buffers a whole chunk in memory; aim at ~4 MiB per chunk, between 256 and 16384
# rows (the lab's keyset reads ran 1.2x faster at 8192 rows than at 1024, wal_overhead.md §5)
CHUNK_TARGET_BYTES = 4 * 1024**2
CHUNK_MIN, CHUNK_MAX = 256, 16384
KEEP_SIZE_HEADROOM = 1.25
# a consumer one checkpoint cycle behind must keep its slot: at least 4 x max_wal_size
KEEP_SIZE_CHECKPOINT_FACTOR = 4
DISK_SHARE = 0.8  # leave a fifth of the free disk for everything else
# heartbeat: WAL written between two heartbeats stays under 1% of max_slot_wal_keep_size
HEARTBEAT_SHARE = 0.01
HEARTBEAT_MIN_S, HEARTBEAT_MAX_S = 10, 300
# what the connector rules propose for wal_sender_timeout when the running one is too short
WAL_SENDER_TIMEOUT_MS = 60_000

# Whether a parameter takes effect only at server start (pg_settings.context = postmaster;
# rds.logical_replication is a static parameter: writer reboot).
RESTART = {
    "wal_level": True,
    "rds.logical_replication": True,
    "max_replication_slots": True,
    "max_wal_senders": True,
    "max_slot_wal_keep_size": False,
    "wal_sender_timeout": False,
    "track_counts": False,
    "max_connections": True,
}
# connections kept free beyond the planned ones, for an administrator or a retried connection
CONNECTION_MARGIN = 10
FIRST_MAJOR_SEPARATE_SENDERS = 12


def chunk_size(facts: Facts, widths: Mapping[str, RowWidths]) -> ConnectorSetting:
    tables, _ = snapshot_tables(facts)
    largest: list[RowWidths] = []  # of the 5 largest tables with a known width
    for table in sorted(tables, key=lambda t: t.heap_bytes or 0, reverse=True):
        if table.qualified_name in widths:
            largest.append(widths[table.qualified_name])
            if len(largest) == 5:
                break
    if not largest:
        return ConnectorSetting.unavailable("no table with a known row width")
    widest = max(w.flat_bytes.expected for w in largest)
    rows = CHUNK_TARGET_BYTES / max(widest, 1.0)
    value = int(min(CHUNK_MAX, max(CHUNK_MIN, 2 ** math.floor(math.log2(max(rows, 1))))))
    return ConnectorSetting(
        method="~4 MiB of rows per chunk, power of two, 256-16384",
        inputs={"widest row among the 5 largest tables (bytes, TOAST inline)": widest},
        assumptions=[
            "Debezium holds a whole chunk in memory; larger chunks need fewer queries "
            "(8192-row chunks read 1.2x faster than 1024 in the lab)",
        ],
        value=value,
        setting="incremental.snapshot.chunk.size",
        default=d.INCREMENTAL_CHUNK_ROWS,
    )


def _recommendation(
    facts: Facts,
    name: str,
    *,
    recommended: str,
    group_value: str,
    change_needed: bool | None,
    why: str,
    method: str,
    inputs: Mapping[str, Any] | None = None,
    assumptions: list[str] | None = None,
    needed: str | None = None,
    recommended_bytes: int | None = None,
    group_name: str | None = None,
) -> SettingRecommendation:
    setting = facts.setting(name)
    staged = staged_settings(facts).get(name)
    return SettingRecommendation(
        name=name,
        method=method,
        inputs=dict(inputs or {}),
        assumptions=list(assumptions or []),
        current=setting.value if setting else None,
        unit=setting.unit if setting else None,
        staged=staged.value if staged else None,
        staged_source=staged.label if staged else None,
        aws_configured=staged.value if staged and staged.on_aws else None,
        recommended=recommended,
        recommended_bytes=recommended_bytes,
        parameter_group_name=group_name or name,
        parameter_group_value=group_value,
        needed=needed,
        restart=RESTART[name],
        change_needed=change_needed,
        why=why,
    )


def _integer(facts: Facts, name: str) -> int | None:
    setting = facts.setting(name)
    return int(setting.value) if setting is not None and setting.value.isdigit() else None


def _at_least(facts: Facts, name: str, need: int, current: int | None, margin: int = 0) -> int:
    """A setting that must be at least ``need``: a staged value that suffices (it applies at the
    next restart or reboot), else the running one when it suffices, else ``need + margin``."""
    staged = staged_settings(facts).get(name)
    if staged is not None and staged.value.strip().isdigit() and int(staged.value) >= need:
        return int(staged.value)
    if current is not None and current >= need:
        return current
    return need + margin


def _on_aws(facts: Facts) -> bool:
    return facts.platform.is_managed


def wal_level(facts: Facts) -> SettingRecommendation:
    setting = facts.setting("wal_level")
    aws = _on_aws(facts)
    return _recommendation(
        facts,
        "wal_level",
        recommended="logical",
        # the parameter-group form is the AWS form, whatever the platform
        group_name="rds.logical_replication",
        group_value="1",
        change_needed=None if setting is None else setting.value != "logical",
        method="required",
        why="logical decoding needs wal_level = logical"
        + (" (on RDS and Aurora set through rds.logical_replication = 1)" if aws else ""),
    )


def logical_replication(facts: Facts) -> SettingRecommendation:
    setting = facts.setting("rds.logical_replication")
    return _recommendation(
        facts,
        "rds.logical_replication",
        recommended="on",
        group_value="1",
        change_needed=None if setting is None else setting.value not in ("on", "1"),
        method="required",
        why="RDS and Aurora turn wal_level to logical through this static parameter "
        "(writer reboot)",
    )


def plan(profile: Profile, options: EstimateOptions) -> ConnectorPlan:
    """The planned connectors and spare slots: ``[estimates]`` when set, else the profile."""
    set_here = [
        name for name in ("planned_connectors", "spare_slots") if getattr(options, name) is not None
    ]
    return ConnectorPlan(
        planned_connectors=(
            options.planned_connectors
            if options.planned_connectors is not None
            else profile.planned_connectors
        ),
        slots_per_connector=profile.slots_per_connector + profile.sync_slots_per_connector,
        spare=options.spare_slots if options.spare_slots is not None else profile.spare_slots,
        snapshot_connections=profile.snapshot_connections,
        source=(
            f"[estimates] {', '.join(set_here)}; the rest from the {profile.name} profile"
            if set_here
            else f"the {profile.name} profile's defaults"
        ),
    )


def senders_in_use(facts: Facts) -> int:
    """WAL senders spoken for: every slot not synchronised from a primary (each needs a sender
    when its consumer connects), and every sender streaming without a slot."""
    counted = [s for s in facts.slots or [] if s.synced is not True]
    slotless = sum(1 for s in facts.senders or [] if s.slot_name is None)
    return len(counted) + slotless


def slots_and_senders(facts: Facts, connectors: ConnectorPlan) -> list[SettingRecommendation]:
    slots = facts.slots or []
    inputs = {
        "slots": len(slots),
        "senders_in_use": senders_in_use(facts),
        "planned_connectors": connectors.planned_connectors,
        "slots_per_connector": connectors.slots_per_connector,
        "spare": connectors.spare,
        "plan_source": connectors.source,
    }
    out = []
    for name, need, why in (
        (
            "max_replication_slots",
            len(slots) + connectors.new_slots + connectors.spare,
            "every connector holds a slot (native subscriptions also one per table-sync "
            "worker); a connector cannot start when no slot is free",
        ),
        (
            "max_wal_senders",
            senders_in_use(facts) + connectors.new_slots + connectors.spare,
            "every slot in use needs a WAL sender; physical standbys hold one each",
        ),
    ):
        current = _integer(facts, name)
        value = _at_least(facts, name, need, current)
        out.append(
            _recommendation(
                facts,
                name,
                recommended=str(value),
                group_value=str(value),
                needed=str(need),
                change_needed=None if current is None else current < need,
                method="in use + planned connectors x slots per connector + spare",
                inputs={**inputs, name: current},
                why=why,
            )
        )
    return out


def connections_needed(facts: Facts, connectors: ConnectorPlan) -> int:
    """Ordinary connections the planned connectors open: their snapshot or full-load
    connections, and before PostgreSQL 12 their WAL senders too (they counted then)."""
    needed = connectors.planned_connectors * connectors.snapshot_connections
    if facts.server is not None and facts.server.major < FIRST_MAJOR_SEPARATE_SENDERS:
        needed += connectors.new_slots
    return needed


def connections_in_use(facts: Facts) -> tuple[int, int] | None:
    """(reserved, open) connections, or None when a database's open connections are unknown."""
    counts = [d.connections for d in facts.databases or []]
    reserved_setting = facts.setting("superuser_reserved_connections")
    if not counts or any(c is None for c in counts) or reserved_setting is None:
        return None
    reserved = _integer(facts, "superuser_reserved_connections") or 0
    reserved += _integer(facts, "reserved_connections") or 0
    return reserved, sum(c or 0 for c in counts)


def max_connections(facts: Facts, connectors: ConnectorPlan) -> SettingRecommendation:
    name = "max_connections"
    current = _integer(facts, name)
    usage = connections_in_use(facts)
    if current is None or usage is None:
        return SettingRecommendation(
            status="unavailable",
            reason="max_connections or the open connections per database are unknown",
            name=name,
            restart=True,
        )
    reserved, used = usage
    new = connections_needed(facts, connectors)
    need = reserved + used + new
    value = _at_least(facts, name, need, current, margin=CONNECTION_MARGIN)
    return _recommendation(
        facts,
        name,
        recommended=str(value),
        group_value=str(value),
        needed=str(need),
        change_needed=current < need,
        method=f"reserved + open + planned connectors' connections (+{CONNECTION_MARGIN} margin "
        "when raised)",
        inputs={
            "reserved": reserved,
            "open_connections": used,
            "new_connections": new,
            "snapshot_connections_per_connector": connectors.snapshot_connections,
            "planned_connectors": connectors.planned_connectors,
        },
        why="a connector's snapshot or full load opens ordinary connections; when none is free "
        "it fails to start",
    )


def keep_size(facts: Facts, options: EstimateOptions, snapshot: Snapshot) -> SettingRecommendation:
    """The larger of the WAL held during snapshot + catch-up (high end x 1.25) and four
    checkpoint cycles (4 x max_wal_size), in whole GB, never below a bounded current value."""
    name = "max_slot_wal_keep_size"
    server = facts.server
    if facts.setting(name) is None and server is not None and server.major < 13:
        return SettingRecommendation(
            status="unavailable",
            reason=f"PostgreSQL {server.major} has no max_slot_wal_keep_size (13+)",
            name=name,
            restart=False,
        )
    assumptions: list[str] = []
    candidates: list[int] = []
    retained = snapshot.retained_wal_bytes
    if retained is not None and math.isfinite(retained.high):
        candidates.append(math.ceil(retained.high * KEEP_SIZE_HEADROOM))
        assumptions.append(
            f"high end of the WAL retained during snapshot + catch-up, x{KEEP_SIZE_HEADROOM}"
        )
    elif retained is not None:
        assumptions.append(
            "the consumer never catches up at the high end: no size survives that case; "
            "raise consumer throughput or use an incremental snapshot"
        )
    else:
        assumptions.append(f"WAL retained during the snapshot unknown: {snapshot.reason or ''}")
    max_wal = facts.setting("max_wal_size")
    max_wal_bytes = setting_bytes(max_wal) if max_wal is not None else None
    if max_wal_bytes is not None and max_wal_bytes > 0:
        candidates.append(KEEP_SIZE_CHECKPOINT_FACTOR * max_wal_bytes)
        assumptions.append(
            f"at least {KEEP_SIZE_CHECKPOINT_FACTOR} x max_wal_size: a consumer a checkpoint "
            "cycle behind keeps its slot"
        )
    current = keep_size_bytes(facts)
    if current is not None and current > 0:
        candidates.append(current)
        assumptions.append("never below the bounded value set now")
    if not candidates:
        return SettingRecommendation(
            status="unavailable",
            reason="neither the WAL held during the snapshot nor max_wal_size is known",
            name=name,
            restart=False,
        )
    need = max(1, math.ceil(max(candidates) / GIB)) * GIB
    conf, group = size_setting(need)
    disk, disk_source = free_disk(facts, options)
    fits: bool | None = None
    if disk is not None:
        fits = need <= disk * DISK_SHARE
        assumptions.append(
            f"must fit in {DISK_SHARE:.0%} of the free disk ({disk_source})"
            + ("" if fits else ": it does not, add storage first")
        )
    return _recommendation(
        facts,
        name,
        recommended=conf,
        recommended_bytes=need,
        group_value=group,
        change_needed=None if current is None else current < 0 or current < need,
        method="max(retained WAL (high) x 1.25, 4 x max_wal_size), whole GB",
        inputs={
            "snapshot.retained_wal_bytes.high": retained.high if retained else None,
            "max_wal_size_bytes": max_wal_bytes,
            # -1 is "unlimited", not a size: said apart, never as a negative byte count
            "current_bytes": current if current is not None and current >= 0 else None,
            "current_unlimited": current is not None and current < 0,
            "free_disk_bytes": disk,
            "fits_disk": fits,
        },
        assumptions=assumptions,
        why="a bounded limit invalidates a stalled slot before it fills the disk, and must "
        "hold the WAL of the initial snapshot and its catch-up",
    )


def wal_sender_timeout(profile: Profile, facts: Facts) -> SettingRecommendation:
    name = "wal_sender_timeout"
    setting = facts.setting(name)
    current = setting_milliseconds(setting) if setting is not None else None
    minimum = profile.min_wal_sender_timeout_ms
    too_short = current is not None and (current == 0 or current < minimum)
    keep = current is not None and not too_short
    value = current if keep and current is not None else WAL_SENDER_TIMEOUT_MS
    conf = f"{value // 1000}s" if value % 1000 == 0 else f"{value}ms"
    return _recommendation(
        facts,
        name,
        recommended=conf,
        group_value=str(value),
        needed=f"{minimum // 1000}s" if minimum % 1000 == 0 else f"{minimum}ms",
        change_needed=None if current is None else too_short,
        method=f"at least the {profile.name} profile's minimum, never 0",
        inputs={"current_ms": current, "minimum_ms": minimum},
        why="0 keeps a dead consumer's walsender forever; shorter than the connector's status "
        "interval ends healthy idle streams",
    )


def track_counts(facts: Facts) -> SettingRecommendation:
    setting = facts.setting("track_counts")
    return _recommendation(
        facts,
        "track_counts",
        recommended="on",
        group_value="1",
        change_needed=None if setting is None else setting.value != "on",
        method="required",
        why="row-change counters size the change stream and the WAL overhead; autovacuum "
        "needs them too",
    )


def settings(
    profile: Profile, facts: Facts, options: EstimateOptions, snapshot: Snapshot
) -> list[SettingRecommendation]:
    out = [wal_level(facts)]
    if _on_aws(facts):
        out.append(logical_replication(facts))
    connectors = plan(profile, options)
    out += slots_and_senders(facts, connectors)
    out.append(max_connections(facts, connectors))
    out += [keep_size(facts, options, snapshot), wal_sender_timeout(profile, facts)]
    out.append(track_counts(facts))
    return out


def heartbeat(
    profile: Profile, facts: Facts, p95: float | None, keep: SettingRecommendation | None
) -> ConnectorSetting:
    """Heartbeats often enough that the WAL between two stays under 1% of the slot limit: the
    recommended max_slot_wal_keep_size, or the bounded one set now when none is recommended."""
    if profile.name not in ("debezium", "dms"):
        return ConnectorSetting(
            method="not needed",
            inputs={"profile": profile.name},
            assumptions=[
                "native subscriptions confirm the WAL position from keepalives even when no "
                "published table changes"
            ],
        )
    if p95 is None or p95 <= 0:
        return ConnectorSetting.unavailable("the logical WAL rate is unavailable")
    current = keep_size_bytes(facts)
    if keep is not None and keep.recommended_bytes is not None:
        limit, source = keep.recommended_bytes, "recommended max_slot_wal_keep_size"
    elif current is not None and current > 0:
        limit, source = current, "max_slot_wal_keep_size set now"
    else:
        return ConnectorSetting.unavailable(
            "max_slot_wal_keep_size is unlimited and no bounded value could be recommended"
        )
    seconds = int(min(HEARTBEAT_MAX_S, max(HEARTBEAT_MIN_S, limit * HEARTBEAT_SHARE / p95)))
    seconds = max(seconds // 10 * 10, HEARTBEAT_MIN_S)
    setting = "heartbeat.interval.ms" if profile.name == "debezium" else "HeartbeatFrequency"
    value = seconds * 1000 if profile.name == "debezium" else max(1, seconds // 60)
    return ConnectorSetting(
        method=f"WAL between heartbeats <= 1% of the {source}",
        inputs={"p95_logical_bytes_per_s": p95, "max_slot_wal_keep_size_bytes": limit},
        assumptions=[
            "a slot advances only when its consumer confirms a position; when the captured "
            "tables are quiet and the rest of the server is not, only heartbeats move it",
            "Debezium: also set heartbeat.action.query when the captured database itself is "
            "quiet (DMS: HeartbeatEnable=true, HeartbeatFrequency in minutes)",
        ],
        value=value,
        setting=setting,
        interval_seconds=seconds,
    )


def decoding_load(
    options: EstimateOptions, logical: Range | None, probe: DecodingProbe | None = None
) -> Decoding:
    if logical is None:
        return Decoding.unavailable("the logical WAL rate is unavailable")
    chosen = choose_decode_rate(options, probe)
    capacity, source = chosen.rate, chosen.source
    method = "logical WAL rate / one walsender's decoding rate"
    if chosen.probed:
        method += " (measured by the decoding probe)"
    utilisation = Range(
        logical.low / capacity.high,
        logical.expected / capacity.expected,
        logical.high / capacity.low,
    )
    return Decoding(
        method=method,
        inputs={
            "logical_bytes_per_s": logical.as_dict(),
            "walsender_decode_bytes_per_s": capacity.as_dict(),
        },
        assumptions=[
            "a walsender decodes every WAL record of the server on one core, whatever its "
            "publication selects: splitting tables over more connectors does not lower it",
            source,
        ],
        utilisation=utilisation,
        capacity_bytes_per_s=capacity,
    )
