"""CDC003: not enough WAL senders for standbys, existing consumers and the planned connectors."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.estimate.recommend import senders_in_use
from audit.facts import Facts
from audit.remedy.settings import apply_staged, set_recommended
from rules._estimates import connector_plan, recommended
from rules._staged import staged_int
from rules._units import as_int, require_setting


@rule(
    code="CDC003",
    name="wal-sender-headroom",
    severity=Severity.CRITICAL,
    requires=("settings", "slots"),
)
def wal_sender_headroom(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Too few WAL senders for the standbys, the existing consumers and the planned connectors.

    ## What it checks
    Every streaming consumer holds one walsender process while it is connected: physical
    standbys as well as logical consumers. The senders already spoken for are one per existing
    replication slot (a physical slot's standby and a logical slot's consumer each reconnect to
    it; slots synchronized to a standby are not counted). The senders needed on top are the
    planned connectors times the senders each uses, plus spare ones:

    - debezium: 1 sender per connector; its snapshot reads through a normal connection
      (Debezium PostgreSQL connector docs);
    - dms: 1 sender per CDC task (AWS DMS, PostgreSQL as a source);
    - native: 1 sender per subscription, plus 2 while its tables sync: each table-sync worker
      streams through a walsender of its own (PostgreSQL docs, logical replication
      configuration);
    - generic: 1 sender per consumer.

    Senders streaming without a slot (a standby without `primary_slot_name`, a base backup)
    are counted from `pg_stat_replication` when it was read. `planned_connectors` and
    `spare_slots` are set under `[estimates]` (one plan for CDC002, CDC003, CDC306 and the
    recommended settings).

    ## Why it matters for CDC
    With no free sender the connector's replication connection is refused ("number of requested
    standby connections exceeds max_wal_senders"), so CDC cannot start; a standby that
    reconnects after a network blip can be locked out by a new connector the same way.
    `max_wal_senders` is a postmaster setting: raising it costs a restart.

    ## How to fix
    Raise `max_wal_senders` to cover the slots in use plus the planned connectors and a spare,
    and restart (RDS: parameter group and reboot; Aurora: cluster parameter group and writer
    reboot). Since PostgreSQL 12 senders do not count against `max_connections`.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-MAX-WAL-SENDERS
    - https://www.postgresql.org/docs/current/logical-replication-config.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Replication.Logical.Configure.html
    """
    setting = require_setting(facts, "max_wal_senders")
    counted = [s for s in facts.slots or [] if s.synced is not True]
    physical = sum(1 for s in counted if s.slot_type == "physical")
    slotless = sum(1 for s in facts.senders or [] if s.slot_name is None)
    in_use = senders_in_use(facts)
    plan = connector_plan(facts, ctx)
    target = recommended(facts, ctx, "max_wal_senders")
    if target is None or target.needed is None:
        raise NotEvaluated("no value for max_wal_senders could be recommended")
    needed = int(target.needed) - in_use
    configured = as_int(setting)
    free = configured - in_use
    staged, pending = staged_int(facts, "max_wal_senders")
    where = staged.where if staged else ""
    when = staged.when if staged else ""
    evidence = {
        "max_wal_senders": configured,
        "pending_value": pending,
        "physical_slots": physical,
        "logical_slots": len(counted) - physical,
        "senders_without_slot": slotless if facts.senders is not None else None,
        "planned_connectors": plan.planned_connectors,
        "senders_per_connector": plan.slots_per_connector,
        "spare_senders": plan.spare,
        "plan_source": plan.source,
        "free": free,
        "needed": needed,
        "recommended": target.recommended,
    }
    arithmetic = plan.arithmetic("sender")
    spoken_for = f"{physical} physical and {len(counted) - physical} logical slot(s)"
    if slotless:
        spoken_for += f" and {slotless} sender(s) without a slot"
    if free >= needed:
        if pending is not None and pending - in_use < needed:
            yield Finding(
                subject="setting:max_wal_senders",
                message=(
                    f"max_wal_senders is {configured}, but {pending} is staged in {where}: "
                    f"after {when} {pending - in_use} sender(s) remain beside {spoken_for}, "
                    f"{needed} needed ({arithmetic})"
                ),
                evidence=evidence,
                fix=set_recommended(facts, target),
                severity=Severity.HIGH,
            )
        return
    severity = Severity.CRITICAL if free < plan.new_slots else Severity.HIGH
    message = (
        f"max_wal_senders is {configured} with {spoken_for} to serve: "
        f"{max(free, 0)} free, {needed} needed ({arithmetic})"
    )
    if staged is not None and pending is not None and pending - in_use >= needed:
        yield Finding(
            subject="setting:max_wal_senders",
            message=f"{message}; {pending} is staged in {where} and applies at {when}, "
            "which resolves this finding",
            evidence=evidence,
            fix=apply_staged(facts, staged),
            severity=severity,
        )
        return
    yield Finding(
        subject="setting:max_wal_senders",
        message=f"{message}: raise it to {target.recommended}",
        evidence=evidence,
        fix=set_recommended(facts, target),
        severity=severity,
    )
