"""CDC405: an Aurora DB parameter group overrides a CDC parameter of the cluster group."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, known, rule
from audit.facts import Facts
from audit.facts.aws import AwsMember
from audit.remedy import ChangeWindow, Fix
from audit.remedy.aws_cli import Target, reboot, reset_parameter
from rules._aws_facts import aws_facts_for


@rule(
    code="CDC405",
    name="instance-parameter-override",
    severity=Severity.LOW,
    requires=(),
)
def instance_parameter_override(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """An Aurora DB parameter group overrides a CDC parameter of the cluster parameter group.

    ## What it checks
    The DB (instance) parameter groups of an Aurora cluster's members, for CDC-relevant
    parameters set in the group itself (`Source=user`): `rds.logical_replication`,
    `max_replication_slots`, `max_wal_senders`, `max_logical_replication_workers`,
    `max_worker_processes`, `wal_sender_timeout`, `logical_decoding_work_mem`, the
    `aurora.*logical_replication*` parameters, `rds.logical_wal_cache` and
    `max_slot_wal_keep_size`. One finding per group and parameter. It is medium when the
    writer uses the group and the cluster group sets a different value, low otherwise (a
    reader only, the same value, or nothing set in the cluster group). On a self-managed
    server with no AWS target the rule passes: there is no control plane to check.

    ## Why it matters for CDC
    A value set in the DB parameter group overrides the cluster parameter group for that
    instance. Whoever tunes the cluster group for CDC sees no effect on that instance, and
    after a failover the new writer may run different limits (fewer slots or WAL senders, a
    shorter `wal_sender_timeout`) than the one the connectors were sized for.

    ## How to fix
    Reset the parameter in the DB parameter group so the cluster value applies everywhere:
    `aws rds reset-db-parameter-group --db-parameter-group-name <group> --parameters
    "ParameterName=<name>,ApplyMethod=pending-reboot"`, then reboot the instances that use
    it. Keep an override only if every member that can become writer has it.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_WorkingWithDBClusterParamGroups.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/parameter-groups-overview.html
    - https://docs.aws.amazon.com/cli/latest/reference/rds/reset-db-parameter-group.html
    """
    aws = aws_facts_for(facts)
    if aws is None or not aws.is_cluster:
        return
    groups = known(facts, aws.instance_parameter_groups, "aws.instance_parameters")
    cluster_group = aws.cluster_parameter_group
    cluster_values = (cluster_group.parameters or {}) if cluster_group else {}
    target = Target.of(aws, aurora=True)
    for name, group in sorted(groups.items()):
        parameters = known(facts, group.parameters, "aws.instance_parameters")
        users = [m for m in aws.members or [] if name in {g.name for g in m.parameter_groups}]
        for parameter in sorted(parameters.values(), key=lambda p: p.name):
            cluster_parameter = cluster_values.get(parameter.name)
            cluster_value = cluster_parameter.value if cluster_parameter else None
            shown = cluster_value if cluster_value is not None else "default"
            on_writer = any(m.is_writer for m in users)
            differs = cluster_value is not None and cluster_value != parameter.value
            yield Finding(
                subject=f"parameter:{name}/{parameter.name}",
                message=(
                    f"{parameter.name}={parameter.value} in DB parameter group {name} overrides "
                    f"the cluster group's {shown}"
                    f" on {', '.join(m.instance_id for m in users) or 'no member'}"
                ),
                evidence={
                    "parameter_group": name,
                    "parameter": parameter.name,
                    "value": parameter.value,
                    "cluster_value": cluster_value,
                    "cluster_parameter_group": cluster_group.name if cluster_group else None,
                    "members": [m.instance_id for m in users],
                    "writer_uses_group": on_writer,
                },
                fix=_reset(target, name, parameter.name, users),
                severity=Severity.MEDIUM if on_writer and differs else None,
            )


def _reset(target: Target, group: str, parameter: str, users: list[AwsMember]) -> Fix:
    """Reset the override, then reboot the members that use the group (the writer first)."""
    on_writer = any(m.is_writer for m in users)
    window = target.reboot_window if on_writer else ChangeWindow.RESTART
    reboots = [
        reboot(target, m.instance_id, why=f"applies the reset of {parameter} in {group}")
        for m in sorted(users, key=lambda m: not m.is_writer)
    ]
    return Fix.of(reset_parameter(target, group, parameter, window), *reboots)
