"""CDC402: rds.logical_replication is not 1 in the effective parameter group."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts
from audit.platform.reconcile import configured, flag, running_on_writer
from rules._aws_facts import aws_facts_for
from rules._recommended import set_to_recommended

PARAMETER = "rds.logical_replication"


@rule(
    code="CDC402",
    name="logical-replication-not-configured",
    severity=Severity.CRITICAL,
    requires=(),
)
def logical_replication_not_configured(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """rds.logical_replication is not turned on in the parameter group that decides it.

    ## What it checks
    The configured value of `rds.logical_replication` for the writer: on Aurora the DB
    cluster parameter group, unless the writer's DB parameter group sets it (`Source=user`),
    which then wins; on RDS the instance's DB parameter group. Unset means the engine default,
    `0`. A configured `0` while the writer still runs with it on is reported too: the next
    reboot turns logical decoding off. On a self-managed server with no AWS target the rule
    passes: there is no control plane to check.

    ## Why it matters for CDC
    On RDS and Aurora `wal_level` cannot be set directly; `rds.logical_replication = 1` is
    what makes it `logical`. Without it no logical slot can be created, so Debezium, AWS DMS
    and native subscriptions cannot start. The parameter is static: changing it takes a
    reboot of the writer, which belongs in the change plan.

    ## How to fix
    Set `rds.logical_replication = 1` in a custom parameter group (default groups cannot be
    modified: create one of the same family and attach it), then reboot the writer. The
    finding carries the AWS CLI commands for this cluster or instance.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Replication.Logical.Configure.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.FeatureSupport.LogicalReplication.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_WorkingWithDBClusterParamGroups.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_WorkingWithParamGroups.html
    """
    aws = aws_facts_for(facts)
    if aws is None:
        return
    writer = aws.writer
    if writer is None:
        raise NotEvaluated("the AWS facts name no writer instance")
    where = configured(facts, aws, PARAMETER, writer)
    if where.is_on:
        return
    running = running_on_writer(facts)
    turns_off = flag(running.logical_replication) is True
    if turns_off:
        message = (
            f"{PARAMETER} is {where.value} in {where.group} but still on in the writer "
            f"{writer.instance_id}: the next reboot turns logical decoding off"
        )
    else:
        shown = where.value if where.value is not None else "not set (engine default 0)"
        message = f"{PARAMETER} is {shown} in {where.level} parameter group {where.group}"
    yield Finding(
        subject=f"parameter:{where.group}/{PARAMETER}",
        message=message,
        evidence={**where.evidence(), **running.evidence(), "writer": writer.instance_id},
        fix=set_to_recommended(facts, ctx, "wal_level"),
    )
