"""CDC410: a major version upgrade is pending while logical replication slots exist."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, known, rule
from audit.facts import Facts
from audit.platform.reconcile import major_of
from audit.remedy import ChangeWindow, Fix, note, sql
from rules._aws_facts import aws_facts_for
from rules._sql import sql_literal

SLOTS_KEPT_SINCE = 17


@rule(
    code="CDC410",
    name="major-upgrade-with-slots",
    severity=Severity.HIGH,
    requires=(),
)
def major_upgrade_with_slots(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A major version upgrade is pending while logical replication slots exist.

    ## What it checks
    `PendingModifiedValues.EngineVersion` of the cluster (Aurora) or of the writer instance
    (RDS): a pending engine version whose major differs from the current one is a pending
    major version upgrade. With one pending, the logical slots in `pg_replication_slots` are
    listed. From a source version below 17 the finding is high; from 17 on the upgrade can
    keep the slots, and the finding is medium. A pending minor upgrade, or no logical slot,
    passes. On a self-managed server with no AWS target the rule passes: there is no control
    plane to check.

    ## Why it matters for CDC
    Before PostgreSQL 17 the upgrade does not carry replication slots over, and its precheck
    refuses to start while any logical slot exists: the slots must be dropped, which breaks
    every connector and forces a re-snapshot afterwards unless writes are stopped around the
    upgrade. From 17 on the slots are kept, but a slot with unconsumed changes makes the
    upgrade fail after the cluster has been taken offline.

    ## How to fix
    Plan the upgrade with the CDC owners: stop writes (or accept a re-snapshot), let the
    connectors consume everything, stop them, drop the slots, upgrade, recreate the slots and
    restart the connectors. From 17 on: disable the subscriptions or stop the connectors after
    they have consumed every change, then upgrade.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Appendix.PostgreSQL.CommonDBATasks.pglogical.recover-replication-after-upgrade.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Appendix.PostgreSQL.CommonDBATasks.pglogical.handle-slots.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.PostgreSQL.MajorVersion.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ClusterPendingModifiedValues.html
    """
    aws = aws_facts_for(facts)
    if aws is None:
        return
    writer = aws.writer
    if aws.cluster is not None:
        subject = f"cluster:{aws.cluster.identifier}"
        pending, current = aws.cluster.pending_engine_version, aws.cluster.engine_version
    elif writer is not None:
        subject = f"instance:{writer.instance_id}"
        pending, current = writer.pending_engine_version, writer.engine_version
    else:
        return
    pending_major, current_major = major_of(pending), major_of(current)
    if pending_major is None or current_major is None or pending_major == current_major:
        return
    slots = [s for s in known(facts, facts.slots, "slots") if s.slot_type == "logical"]
    if not slots:
        return
    names = [s.slot_name for s in slots]
    kept = current_major >= SLOTS_KEPT_SINCE
    drops = [
        sql(
            f"SELECT pg_drop_replication_slot({sql_literal(n)});",
            ChangeWindow.COORDINATION,
            slot_name=n,
        )
        for n in names
    ]
    yield Finding(
        subject=subject,
        message=(
            f"an upgrade from {current} to {pending} is pending with {len(names)} logical "
            "slot(s): "
            + (
                "each must have no unconsumed changes or the upgrade fails offline"
                if kept
                else "the upgrade precheck refuses to start until they are dropped"
            )
        ),
        evidence={
            "engine_version": current,
            "pending_engine_version": pending,
            "logical_slots": names,
        },
        fix=Fix.of(
            note(
                "after the connectors consumed every change and were stopped:",
                ChangeWindow.COORDINATION,
            ),
            *([note("(PostgreSQL 17+: the slots can stay)")] if kept else drops),
        ),
        severity=Severity.MEDIUM if kept else None,
    )
