"""CDC406: a change of aurora.enhanced_logical_replication waits to invalidate every slot."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts
from audit.facts.aws import AwsFacts
from audit.platform.reconcile import configured, flag, unapplied, writer_setting
from audit.remedy import ChangeWindow, Fix, note
from audit.remedy.aws_cli import Group, Level, Target, modify_parameter, reboot
from rules._aws_facts import aws_facts_for

PARAMETER = "aurora.enhanced_logical_replication"


@rule(
    code="CDC406",
    name="enhanced-logical-replication-change",
    severity=Severity.HIGH,
    requires=(),
)
def enhanced_logical_replication_change(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """aurora.enhanced_logical_replication is configured differently from what the writer runs.

    ## What it checks
    On Aurora, the writer's configured `aurora.enhanced_logical_replication` (cluster
    group, or a `Source=user` override in its DB parameter group; unset means off) against
    `SHOW aurora.enhanced_logical_replication` on the writer. A difference means a change
    waits for the next reboot. When the running value is unknown and the writer has a pending
    parameter change while the group turns the parameter on, the rule is not evaluated. A
    cluster whose group does not know the parameter (versions without it) passes. On a
    self-managed server with no AWS target the rule passes: there is no control plane to check.

    ## Why it matters for CDC
    Toggling enhanced logical replication makes the writer invalidate every logical
    replication slot. An unplanned reboot (maintenance, failover, the reboot that applies
    `rds.logical_replication`) then breaks every connector: slots must be recreated and
    tables snapshotted again. When it is on, Aurora writes all column values to WAL even
    without `REPLICA IDENTITY FULL`, which raises WAL volume and IOPS.

    ## How to fix
    Decide which value you want before CDC starts. To keep the running value, set the
    parameter back in the group. To apply the change, schedule it: stop the connectors, reboot
    the writer, recreate the slots and re-snapshot. Never let it ride along with another
    reboot unannounced.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.setting-up.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Replication.Logical.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_WorkingWithDBClusterParamGroups.html
    """
    aws = aws_facts_for(facts)
    if aws is None or not aws.is_cluster:
        return
    writer = aws.writer
    if writer is None:
        raise NotEvaluated("the AWS facts name no writer instance")
    where = configured(facts, aws, PARAMETER, writer)
    if where.parameter is None:
        return
    configured_on = where.is_on
    running_value = writer_setting(facts, PARAMETER)
    running = flag(running_value)
    pending = unapplied(writer)
    if running is None:
        if pending and configured_on:
            raise NotEvaluated(
                f"the writer has a pending parameter change and {PARAMETER} is on in "
                f"{where.group}, but its running value was not collected"
            )
        return
    if running == configured_on:
        return
    slots = [s.slot_name for s in facts.slots or [] if s.slot_type == "logical"]
    yield Finding(
        subject=f"parameter:{where.group}/{PARAMETER}",
        message=(
            f"{PARAMETER} is {'on' if configured_on else 'off'} in {where.group} but "
            f"{'on' if running else 'off'} on the writer {writer.instance_id}: the next reboot "
            "invalidates every logical replication slot"
        ),
        evidence={
            **where.evidence(),
            "running_value": running_value,
            "writer": writer.instance_id,
            "status": pending or "in-sync",
            "logical_slots": slots if facts.slots is not None else None,
        },
        fix=_keep_or_apply(aws, where.group, where.level, running, writer.instance_id),
    )


def _keep_or_apply(
    aws: AwsFacts, group: str | None, level: Level, running: bool, writer: str
) -> Fix:
    """Either set the group back to what runs (no reboot), or reboot deliberately."""
    target = Target.of(aws, aurora=True)
    keep = "1" if running else "0"
    coordination = ChangeWindow.COORDINATION
    return Fix.of(
        note(f"either keep what runs: set {PARAMETER}={keep} in {group}"),
        modify_parameter(
            target, Group(group, level), PARAMETER, keep, static=True, window=ChangeWindow.ONLINE
        ),
        note("or apply it deliberately: stop the connectors, then", coordination),
        reboot(target, writer, why=f"applies {PARAMETER} and invalidates every logical slot"),
        note("and recreate the slots and re-snapshot the tables", coordination),
    )
