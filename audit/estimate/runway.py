"""``estimates.runway``: hours until a stalled slot is invalidated or the disk is full.

A slot whose consumer stops holds every byte of WAL from then on. At the p95 logical WAL rate
(expected; low: the high rate, high: the low rate) that reaches ``max_slot_wal_keep_size``
(the slot is invalidated, ``wal_status = lost``) or the free disk space, whichever is first.
PostgreSQL cannot report free disk from SQL: it comes from CloudWatch ``FreeStorageSpace`` (RDS)
or ``options["free_disk_bytes"]``; Aurora's cluster volume grows on its own (up to 128 TiB).
"""

from __future__ import annotations

from audit.estimate.model import Runway, RunwayLimit
from audit.estimate.options import EstimateOptions
from audit.estimate.result import Range
from audit.facts import Facts
from audit.units import setting_bytes

SECONDS_PER_HOUR = 3600.0


def keep_size_bytes(facts: Facts) -> int | None:
    """``max_slot_wal_keep_size`` in bytes; -1 (unlimited) stays -1; None when not collected."""
    setting = facts.setting("max_slot_wal_keep_size")
    return setting_bytes(setting) if setting is not None else None


def free_disk(facts: Facts, options: EstimateOptions) -> tuple[float | None, str]:
    if options.free_disk_bytes is not None:
        return float(options.free_disk_bytes), "options.free_disk_bytes"
    series = facts.aws.series("FreeStorageSpace") if facts.aws else None
    if series is not None and series.points:
        return float(min(v for _, v in series.points)), "CloudWatch FreeStorageSpace (minimum)"
    if facts.platform.is_aurora:
        return None, "Aurora storage grows with the cluster volume (up to 128 TiB): no disk limit"
    return (
        None,
        "free disk space is unknown (PostgreSQL cannot report it from SQL): "
        "set the option free_disk_bytes",
    )


def _hours(limit: float, rate: Range, p95: float) -> Range:
    def at(r: float) -> float:
        return limit / r / SECONDS_PER_HOUR if r > 0 else float("inf")

    expected = at(p95)
    return Range(min(at(rate.high), expected), expected, max(at(rate.low), expected))


def runway_estimate(
    facts: Facts, options: EstimateOptions, logical_rate: Range | None, p95: float | None
) -> Runway:
    if logical_rate is None or p95 is None:
        return Runway.unavailable("the logical WAL rate is unavailable", method="runway")
    keep = keep_size_bytes(facts)
    disk, disk_source = free_disk(facts, options)
    limits: dict[str, RunwayLimit] = {}
    if keep is None:
        limits["max_slot_wal_keep_size"] = RunwayLimit.unavailable(
            "max_slot_wal_keep_size was not collected"
        )
    elif keep < 0:
        limits["max_slot_wal_keep_size"] = RunwayLimit.unavailable(
            "max_slot_wal_keep_size = -1: a stalled slot is never invalidated, it fills the disk"
        )
    else:
        limits["max_slot_wal_keep_size"] = RunwayLimit(
            method="limit / logical WAL rate",
            inputs={"max_slot_wal_keep_size_bytes": keep},
            hours=_hours(float(keep), logical_rate, p95),
            limit_bytes=keep,
        )
    if disk is None:
        limits["disk"] = RunwayLimit.unavailable(disk_source)
    else:
        limits["disk"] = RunwayLimit(
            method="free disk / logical WAL rate",
            inputs={"free_disk_bytes": disk, "source": disk_source},
            hours=_hours(disk, logical_rate, p95),
            limit_bytes=disk,
        )
    known = {k: v.hours for k, v in limits.items() if v.hours is not None}
    if not known:
        reasons = "; ".join(f"{k}: {v.reason}" for k, v in limits.items())
        return Runway(
            status="unavailable",
            reason=f"no limit is known ({reasons})",
            method="runway",
            limits=limits,
        )
    limit = min(known, key=lambda k: known[k].expected)
    return Runway(
        method="limit / p95 logical WAL rate",
        inputs={"logical_bytes_per_s": logical_rate.as_dict(), "p95_logical_bytes_per_s": p95},
        assumptions=[
            "a stalled slot holds all WAL written after it stops; expected at the p95 logical "
            "rate, low at the high end of the rate, high at the low end",
            "WAL already held by existing slots is not subtracted (see the slots section)",
        ],
        hours=known[limit],
        limit=limit,
        limits=limits,
    )
