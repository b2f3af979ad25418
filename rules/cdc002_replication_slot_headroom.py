"""CDC002: not enough free replication slots for the planned connectors."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy.settings import apply_staged, set_recommended
from rules._estimates import connector_plan, recommended
from rules._staged import staged_int
from rules._units import as_int, require_setting


@rule(
    code="CDC002",
    name="replication-slot-headroom",
    severity=Severity.CRITICAL,
    requires=("settings", "slots"),
)
def replication_slot_headroom(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Too few free replication slots for the planned connectors and a spare.

    ## What it checks
    Free slots are `max_replication_slots` minus the slots that exist now (logical, physical
    and temporary: each occupies one). Needed slots are the planned connectors times the slots
    each holds, plus spare slots:

    - debezium: 1 slot per connector, its `slot.name` (Debezium PostgreSQL connector docs);
    - dms: 1 slot per CDC task (AWS DMS, PostgreSQL as a source);
    - native: 1 slot per subscription, plus 2 while its tables sync: each of the
      `max_sync_workers_per_subscription` (default 2) table-sync workers holds a slot of its
      own (PostgreSQL docs, logical replication configuration);
    - generic: 1 slot per consumer.

    One planned connector and one spare slot are the defaults of every profile. Set
    `planned_connectors` and `spare_slots` under `[estimates]` to plan for more, or 0 for a
    weekly audit of a setup that is already running: the same plan sizes CDC003, CDC306 and the
    recommended settings, so the value this rule asks for is the one the report recommends. A
    value staged for the next restart or writer reboot (`pending_value`) is judged too.

    ## Why it matters for CDC
    When every slot is taken, creating the connector's slot fails with "all replication slots
    are in use" and CDC cannot start. Without a spare, a connector that must be recreated (or a
    second one for a re-snapshot) cannot get a new slot before the old one is dropped.
    `max_replication_slots` is a postmaster setting: raising it costs a restart.

    ## How to fix
    Raise `max_replication_slots` to the slots in use plus those needed, and restart (RDS:
    parameter group and reboot; Aurora: cluster parameter group and writer reboot). Also drop
    slots no consumer uses any more (see CDC201).

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-MAX-REPLICATION-SLOTS
    - https://www.postgresql.org/docs/current/logical-replication-config.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-slot-name
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html
    """
    setting = require_setting(facts, "max_replication_slots")
    slots = facts.slots or []
    plan = connector_plan(facts, ctx)
    target = recommended(facts, ctx, "max_replication_slots")
    if target is None or target.needed is None:
        raise NotEvaluated("no value for max_replication_slots could be recommended")
    needed = int(target.needed) - len(slots)
    configured = as_int(setting)
    free = configured - len(slots)
    staged, pending = staged_int(facts, "max_replication_slots")
    where = staged.where if staged else ""
    when = staged.when if staged else ""
    evidence = {
        "max_replication_slots": configured,
        "pending_value": pending,
        "slots_in_use": len(slots),
        "temporary_slots": sum(1 for s in slots if s.temporary),
        "planned_connectors": plan.planned_connectors,
        "slots_per_connector": plan.slots_per_connector,
        "spare_slots": plan.spare,
        "plan_source": plan.source,
        "free": free,
        "needed": needed,
        "recommended": target.recommended,
    }
    arithmetic = plan.arithmetic("slot")
    if free >= needed:
        if pending is not None and pending - len(slots) < needed:
            yield Finding(
                subject="setting:max_replication_slots",
                message=(
                    f"max_replication_slots is {configured}, but {pending} is staged in {where}: "
                    f"after {when} {pending - len(slots)} slot(s) are free, {needed} needed "
                    f"({arithmetic})"
                ),
                evidence=evidence,
                fix=set_recommended(facts, target),
                severity=Severity.HIGH,
            )
        return
    severity = Severity.CRITICAL if free < plan.new_slots else Severity.HIGH
    message = (
        f"max_replication_slots is {configured} with {len(slots)} slot(s) in use: "
        f"{max(free, 0)} free, {needed} needed ({arithmetic})"
    )
    if staged is not None and pending is not None and pending - len(slots) >= needed:
        yield Finding(
            subject="setting:max_replication_slots",
            message=f"{message}; {pending} is staged in {where} and applies at {when}, "
            "which resolves this finding",
            evidence=evidence,
            fix=apply_staged(facts, staged),
            severity=severity,
        )
        return
    yield Finding(
        subject="setting:max_replication_slots",
        message=f"{message}: raise it to {target.recommended}",
        evidence=evidence,
        fix=set_recommended(facts, target),
        severity=severity,
    )
