"""What the slot rules share: how long a slot has been idle, why it looks abandoned, evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from audit.facts import Sampling, Slot
from audit.facts.lsn import parse_lsn
from audit.remedy import Step, sql
from rules._sql import sql_literal
from rules._units import fmt_bytes, fmt_count, fmt_duration

ABOUT_TO_LOSE = "unreserved"
LOST = "lost"


def inactive_seconds(slot: Slot, at: datetime) -> float | None:
    """Seconds since the slot was last used (PostgreSQL 17+ ``inactive_since``)."""
    return (at - slot.inactive_since).total_seconds() if slot.inactive_since else None


def is_lost(slot: Slot) -> bool:
    """The slot can never be resumed: WAL removed, or invalidated for another reason."""
    if slot.wal_status == LOST or slot.invalidation_reason is not None:
        return True
    return slot.conflicting is True


def abandonment(
    slot: Slot,
    at: datetime,
    *,
    min_bytes: int,
    min_seconds: int,
    min_xmin_age: int,
) -> list[str]:
    """The evidence that nobody is coming back for an inactive slot, as message fragments."""
    reasons = []
    if slot.retained_bytes is not None and slot.retained_bytes >= min_bytes:
        reasons.append(f"retains {fmt_bytes(slot.retained_bytes)} of WAL")
    idle = inactive_seconds(slot, at)
    if idle is not None and idle >= min_seconds:
        reasons.append(f"has been inactive for {fmt_duration(idle)}")
    ages = [a for a in (slot.xmin_age, slot.catalog_xmin_age) if a is not None]
    if ages and max(ages) >= min_xmin_age:
        reasons.append(f"holds the xmin horizon {fmt_count(max(ages))} transactions back")
    return reasons


def inactive_through_window(slot: Slot, sampling: Sampling | None) -> tuple[float, int] | None:
    """(seconds, WAL bytes) of the sampling window through which ``slot`` stayed inactive
    while WAL advanced; None when the window did not show that (or did not sample slots)."""
    if sampling is None:
        return None
    samples = [s for s in sampling.samples if s.slots is not None and s.lsn is not None]
    if len(samples) < 2:
        return None
    for sample in samples:
        assert sample.slots is not None
        position = sample.slots.get(slot.slot_name)
        if position is None or position.active:
            return None
    first, last = samples[0], samples[-1]
    assert first.lsn is not None and last.lsn is not None
    wal = parse_lsn(last.lsn) - parse_lsn(first.lsn)
    if wal <= 0:
        return None
    return (last.at - first.at).total_seconds(), wal


def window_reason(window: tuple[float, int]) -> str:
    seconds, wal = window
    return (
        f"stayed inactive through the whole {fmt_duration(seconds)} sampling window while "
        f"{fmt_bytes(wal)} of WAL was written"
    )


def age_unknown_message(kind: str, slot: Slot, window: tuple[float, int] | None) -> str | None:
    """The message for an inactive slot below every threshold whose inactive time is unknown
    (``inactive_since`` is PostgreSQL 17+): it is reported, never passed; None when its WAL is
    unknown too."""
    if slot.inactive_since is not None or slot.retained_bytes is None:
        return None
    message = (
        f"{kind} {slot.slot_name} is inactive and retains {fmt_bytes(slot.retained_bytes)} of "
        "WAL; how long it has been inactive is unknown (inactive_since, PostgreSQL 17+)"
    )
    return f"{message}; it {window_reason(window)}" if window else message


def judgeable(slot: Slot) -> bool:
    """Enough is known to tell an abandoned slot from one whose consumer is restarting."""
    return slot.retained_bytes is not None or slot.inactive_since is not None


def drop_statement(slot: Slot, comment: str = "") -> Step:
    """Drop ``slot``: online (no lock), but whoever reads it loses its position."""
    text = f"SELECT pg_drop_replication_slot({sql_literal(slot.slot_name)});"
    return sql(
        f"{text}  -- {comment}" if comment else text,
        slot_name=slot.slot_name,
        slot_type=slot.slot_type,
        retained_bytes=slot.retained_bytes,
    )


def slot_evidence(slot: Slot, at: datetime) -> dict[str, Any]:
    idle = inactive_seconds(slot, at)
    return {
        "slot_name": slot.slot_name,
        "slot_type": slot.slot_type,
        "plugin": slot.plugin,
        "database": slot.database,
        "active": slot.active,
        "retained_bytes": slot.retained_bytes,
        "wal_status": slot.wal_status,
        "safe_wal_size": slot.safe_wal_size,
        "inactive_since": slot.inactive_since.isoformat() if slot.inactive_since else None,
        "inactive_seconds": round(idle) if idle is not None else None,
        "invalidation_reason": slot.invalidation_reason,
        "conflicting": slot.conflicting,
        "xmin_age": slot.xmin_age,
        "catalog_xmin_age": slot.catalog_xmin_age,
    }
