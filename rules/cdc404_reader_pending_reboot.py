"""CDC404: an Aurora reader has parameter changes that wait for a reboot."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.platform.reconcile import readers_survive_writer_reboot, unapplied
from audit.remedy import ChangeWindow, Fix, note
from audit.remedy.aws_cli import Target, reboot
from rules._aws_facts import aws_facts_for


@rule(
    code="CDC404",
    name="reader-pending-reboot",
    severity=Severity.MEDIUM,
    requires=(),
)
def reader_pending_reboot(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """An Aurora reader has not applied its parameter groups yet.

    ## What it checks
    For every reader of an Aurora cluster, `DBClusterParameterGroupStatus` and the
    `ParameterApplyStatus` of each DB parameter group: anything but `in-sync`
    (`pending-reboot`, `applying`, `failed-to-apply`) is reported. The writer is CDC403's
    concern. On a self-managed server with no AWS target the rule passes: there is no control
    plane to check.

    ## Why it matters for CDC
    Aurora decodes logical replication only on the writer, so a reader's pending change does
    not block CDC today. It matters at the next failover: a reader promoted while it still runs
    the old cluster parameters comes up without `rds.logical_replication`, and connectors
    cannot recreate their slots there. From Aurora PostgreSQL 15.2, 14.7, 13.10 and 12.14 on,
    rebooting the writer no longer reboots the readers, so they stay pending until someone
    reboots them.

    ## How to fix
    Reboot each pending reader, one at a time so the cluster keeps read capacity:
    `aws rds reboot-db-instance --db-instance-identifier <reader>`. Each reboot briefly takes
    that reader out of the reader endpoint.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-mysql-survivable-replicas.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-reboot-cluster.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_WorkingWithDBClusterParamGroups.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBClusterMember.html
    """
    aws = aws_facts_for(facts)
    if aws is None or not aws.is_cluster:
        return
    survive = readers_survive_writer_reboot(aws.engine_version)
    target = Target.of(aws, aurora=True)
    for reader in aws.readers:
        pending = unapplied(reader)
        if not pending:
            continue
        statuses = ", ".join(f"{field}={status}" for field, status in pending.items())
        steps = [reboot(target, reader.instance_id, why="applies its parameter groups")]
        if survive is False:
            steps.append(
                note(
                    f"on Aurora PostgreSQL {aws.engine_version} rebooting the writer "
                    "reboots this reader too",
                    ChangeWindow.RESTART,
                    engine_version=aws.engine_version,
                )
            )
        yield Finding(
            subject=f"instance:{reader.instance_id}",
            message=f"reader {reader.instance_id} has unapplied parameter changes: {statuses}",
            evidence={
                "reader": reader.instance_id,
                "status": pending,
                "promotion_tier": reader.promotion_tier,
                "engine_version": aws.engine_version,
            },
            fix=Fix(steps=tuple(steps)),
        )
