"""CDC204: a physical slot whose standby stopped connecting still holds WAL."""

from __future__ import annotations

from collections.abc import Iterator

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
from audit.facts import Facts
from audit.remedy import Fix, note
from rules._slots import (
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
        86_400, unit=Unit.SECONDS, ge=0, description="time inactive before a slot is reported"
    )
    min_xmin_age: int = option(
        20_000_000,
        unit=Unit.TRANSACTIONS,
        ge=0,
        description="age of the slot's xmin that reports it whatever its WAL",
    )


@rule(
    code="CDC204",
    name="abandoned-physical-slot",
    severity=Severity.HIGH,
    requires=("slots",),
    options=Options,
)
def abandoned_physical_slot(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A physical slot whose standby stopped connecting still holds WAL and the xmin horizon.

    ## What it checks
    Physical slots that are not in use, with evidence that their standby (or `pg_basebackup`,
    or a WAL archiver such as `pg_receivewal`) is gone rather than restarting, any of:

    - they retain at least 1 GiB of WAL (`min_retained_bytes`);
    - they have been inactive for at least 24 h (`min_inactive_seconds`; PostgreSQL 17+);
    - their `xmin` is at least 20,000,000 transactions old (`min_xmin_age`);
    - they stayed inactive through a sampling window of at least `min_inactive_seconds`
      while WAL advanced (when `inactive_since` is not there, before 17);
    - they are invalidated (`wal_status = lost`): then the finding is low, the slot holds
      nothing any more and only its standby is broken.

    Before 17 how long a slot has been inactive is unknown, so an inactive slot below every
    threshold is still reported, as low, with the WAL it retains and whether it stayed
    inactive through the sampling window: it is never passed silently.

    Options go under `[rules.CDC204]`. A standby that is down for maintenance shows the same
    signs: the fix asks to confirm before dropping. Temporary slots are never reported.

    ## Why it matters for CDC
    WAL retention is shared: a forgotten standby slot keeps the WAL the CDC slots have long
    confirmed, so disk use and the runway of every slot look worse than CDC makes them, and
    the instance can run out of disk for a reason unrelated to the connector. An old `xmin`
    (from `hot_standby_feedback`) also keeps dead rows in every table.

    ## How to fix
    Confirm that no standby uses the slot (its `primary_slot_name`), then drop it. A standby
    that comes back later can be rebuilt from a new base backup.

    ## References
    - https://www.postgresql.org/docs/current/warm-standby.html#STREAMING-REPLICATION-SLOTS
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    - https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-REPLICATION
    """
    options = ctx.options_for(Options)
    min_bytes = options.min_retained_bytes
    min_seconds = options.min_inactive_seconds
    min_xmin_age = options.min_xmin_age
    findings: list[Finding] = []
    unknown: list[str] = []
    for slot in facts.slots or []:
        if slot.active or slot.temporary or slot.slot_type != "physical":
            continue
        name = slot.slot_name
        confirm = note(f"confirm that no standby streams from slot {name} (primary_slot_name)")
        if is_lost(slot):
            findings.append(
                Finding(
                    subject=f"slot:{name}",
                    message=(
                        f"physical slot {name} is inactive and invalidated "
                        f"({slot.invalidation_reason or slot.wal_status}): its standby cannot "
                        "resume"
                    ),
                    evidence=slot_evidence(slot, facts.collected_at),
                    fix=Fix.of(confirm, drop_statement(slot)),
                    severity=Severity.LOW,
                )
            )
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
        age_unknown = age_unknown_message("physical slot", slot, window)
        if reasons:
            findings.append(
                Finding(
                    subject=f"slot:{name}",
                    message=f"physical slot {name} is inactive and " + " and ".join(reasons),
                    evidence=slot_evidence(slot, facts.collected_at),
                    fix=Fix.of(confirm, drop_statement(slot)),
                )
            )
        elif age_unknown is not None:
            findings.append(
                Finding(
                    subject=f"slot:{name}",
                    message=age_unknown,
                    evidence=slot_evidence(slot, facts.collected_at),
                    fix=Fix.of(confirm, drop_statement(slot)),
                    severity=Severity.LOW,
                )
            )
        elif not judgeable(slot):
            unknown.append(name)
    if unknown and not findings:
        raise NotEvaluated(
            f"inactive physical slot(s) {', '.join(unknown)}: neither the WAL they retain nor "
            "how long they have been inactive is known"
        )
    yield from findings
