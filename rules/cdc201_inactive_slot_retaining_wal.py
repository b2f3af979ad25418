"""CDC201: inactive logical slot holding WAL (and the vacuum horizon) for no consumer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from audit.engine import (
    Finding,
    NotEvaluated,
    RuleContext,
    RuleOptions,
    Severity,
    Unit,
    option,
    rule,
)
from audit.facts import Facts, Slot
from audit.remedy import ChangeWindow, Fix, note
from rules._slots import (
    ABOUT_TO_LOSE,
    abandonment,
    age_unknown_message,
    drop_statement,
    inactive_through_window,
    is_lost,
    judgeable,
    slot_evidence,
    window_reason,
)
from rules._units import GIB


class Options(RuleOptions):
    min_retained_bytes: int = option(
        1 * GIB, unit=Unit.BYTES, ge=0, description="WAL a slot retains before it is reported"
    )
    min_inactive_seconds: int = option(
        3600, unit=Unit.SECONDS, ge=0, description="time inactive before a slot is reported"
    )
    critical_retained_bytes: int = option(
        100 * GIB, unit=Unit.BYTES, ge=0, description="retained WAL that makes it critical"
    )
    min_xmin_age: int = option(
        20_000_000,
        unit=Unit.TRANSACTIONS,
        ge=0,
        description="age of the slot's xmin that reports it whatever its WAL",
    )


@rule(
    code="CDC201",
    name="inactive-slot-retaining-wal",
    severity=Severity.HIGH,
    requires=("slots",),
    options=Options,
)
def inactive_slot_retaining_wal(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Inactive logical replication slot retains WAL with no consumer reading it.

    ## What it checks
    Logical slots that are not in use (`active = false`) and show evidence that no consumer is
    about to come back for them, any of:

    - they retain at least 1 GiB of WAL (`min_retained_bytes`);
    - they have been inactive for at least 1 h (`min_inactive_seconds`; `inactive_since`,
      PostgreSQL 17+);
    - their `catalog_xmin` (or `xmin`) is at least 20,000,000 transactions old
      (`min_xmin_age`);
    - they are already invalidated or about to be (`wal_status` `unreserved` or `lost`,
      `invalidation_reason`, or `conflicting` on a standby);
    - they stayed inactive through a sampling window of at least `min_inactive_seconds` while
      WAL advanced (evidence of how long they have been inactive when `inactive_since` is not
      there, before 17).

    A consumer that is only restarting leaves a slot inactive for seconds and holding little
    WAL; on PostgreSQL 17+ the thresholds (options under `[rules.CDC201]`) keep such slots
    out. Before 17 nobody can tell a restarting consumer from a gone one, so an inactive slot
    below every threshold is still reported, as low, with the WAL it retains and whether it
    stayed inactive through the sampling window: it is never passed silently. Temporary slots
    (dropped with their session), slots synchronized to a standby (`synced`, inactive by
    design) and physical slots (CDC204) are never reported here.

    The finding is critical when the slot is `unreserved` or `lost`, or retains at least
    100 GiB (`critical_retained_bytes`).

    ## Why it matters for CDC
    A slot keeps every WAL segment from its `restart_lsn` on, and its `catalog_xmin` stops
    VACUUM from removing dead catalog rows, until a consumer confirms progress. An abandoned
    slot (a deleted Debezium connector, a DMS task that failed, a dropped subscription whose
    slot stayed behind) grows the WAL directory until the disk fills and the server stops, or
    until `max_slot_wal_keep_size` invalidates it. An `unreserved` slot loses its WAL at the
    next checkpoint; a `lost` one can never be resumed: its connector needs a new slot and a
    new snapshot.

    ## How to fix
    Find the consumer (connector, DMS task, subscription on another server). If it is gone,
    drop the slot; the fix gives the statement with the slot name as a SQL literal. If it only
    paused, restart it before the slot reaches `max_slot_wal_keep_size`.

    ## References
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    - https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-REPLICATION
    - https://www.postgresql.org/docs/current/warm-standby.html#STREAMING-REPLICATION-SLOTS
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-wal-disk-space
    - https://repost.aws/knowledge-center/dms-high-storage-consumption-postgresql
    """
    options = ctx.options_for(Options)
    min_bytes = options.min_retained_bytes
    min_seconds = options.min_inactive_seconds
    critical_bytes = options.critical_retained_bytes
    min_xmin_age = options.min_xmin_age
    findings: list[Finding] = []
    unknown: list[str] = []
    for slot in facts.slots or []:
        if slot.active or slot.temporary or slot.synced or slot.slot_type != "logical":
            continue
        reasons = abandonment(
            slot,
            facts.collected_at,
            min_bytes=min_bytes,
            min_seconds=min_seconds,
            min_xmin_age=min_xmin_age,
        )
        window = inactive_through_window(slot, facts.sampling)
        if window is not None and slot.inactive_since is None and window[0] >= min_seconds:
            reasons.append(window_reason(window))
        age_unknown = age_unknown_message("slot", slot, window)
        if reasons or is_lost(slot) or slot.wal_status == ABOUT_TO_LOSE:
            findings.append(_finding(slot, reasons, facts.collected_at, critical_bytes))
        elif age_unknown is not None:
            findings.append(
                Finding(
                    subject=f"slot:{slot.slot_name}",
                    message=age_unknown,
                    evidence=slot_evidence(slot, facts.collected_at),
                    fix=_confirm_and_drop(slot),
                    severity=Severity.LOW,
                )
            )
        elif not judgeable(slot):
            unknown.append(slot.slot_name)
    if unknown and not findings:
        raise NotEvaluated(
            f"inactive slot(s) {', '.join(unknown)}: neither the WAL they retain nor how long "
            "they have been inactive is known"
        )
    yield from findings


def _finding(slot: Slot, reasons: list[str], at: datetime, critical_bytes: int) -> Finding:
    name = slot.slot_name
    lost = is_lost(slot)
    if lost:
        why = slot.invalidation_reason or slot.wal_status or "conflicting"
        message = f"slot {name} is inactive and invalidated ({why}): its consumer cannot resume"
        fix = Fix.of(
            drop_statement(slot, "it can never be resumed"),
            note(
                "then recreate the connector's slot and take a new snapshot",
                ChangeWindow.COORDINATION,
            ),
        )
    else:
        if slot.wal_status == ABOUT_TO_LOSE:
            detail = " and ".join(reasons) or "retains WAL"
            message = (
                f"slot {name} is inactive and unreserved: it {detail}, and loses that WAL at "
                "the next checkpoint"
            )
        else:
            message = f"slot {name} is inactive and " + " and ".join(reasons)
        fix = _confirm_and_drop(slot)
    huge = slot.retained_bytes is not None and slot.retained_bytes >= critical_bytes
    critical = lost or slot.wal_status == ABOUT_TO_LOSE or huge
    return Finding(
        subject=f"slot:{name}",
        message=message,
        evidence=slot_evidence(slot, at),
        fix=fix,
        severity=Severity.CRITICAL if critical else None,
    )


def _confirm_and_drop(slot: Slot) -> Fix:
    return Fix.of(
        note(
            f"confirm that no connector, DMS task or subscription still reads slot {slot.slot_name}"
        ),
        drop_statement(slot),
    )
