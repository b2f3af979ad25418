"""Copy-pastable AWS CLI commands for the fixes the AWS rules propose, and what they cost."""

from __future__ import annotations

import shlex

from audit.aws.reconcile import Configured, readers_survive_writer_reboot
from audit.facts.aws import AwsFacts


def _region(aws: AwsFacts) -> str:
    return f" --region {shlex.quote(aws.region)}" if aws.region else ""


def reboot_command(aws: AwsFacts, instance_id: str) -> str:
    return (
        f"aws rds reboot-db-instance --db-instance-identifier {shlex.quote(instance_id)}"
        f"{_region(aws)}"
    )


def writer_reboot_impact(aws: AwsFacts) -> str:
    """What rebooting the writer costs, by engine and version."""
    if not aws.is_cluster:
        return "Impact: a brief outage of the instance while it restarts."
    version = aws.engine_version
    survive = readers_survive_writer_reboot(version)
    if survive is True:
        return (
            "Impact: a brief outage of the writer. On Aurora PostgreSQL "
            f"{version} the readers stay up and are not rebooted with it "
            "(reboot them separately to apply cluster parameter changes)."
        )
    if survive is False:
        return (
            "Impact: a brief outage of the whole cluster. On Aurora PostgreSQL "
            f"{version} (before 15.2, 14.7, 13.10, 12.14) rebooting the writer "
            "reboots every reader with it."
        )
    return (
        "Impact: a brief outage of the writer. On Aurora PostgreSQL 15.2+, 14.7+, 13.10+ "
        "and 12.14+ the readers are not rebooted with it; on older versions they are."
    )


def set_parameter_commands(aws: AwsFacts, where: Configured, value: str) -> list[str]:
    """Set ``where.name`` to ``value`` in the group that decides it.

    A default group cannot be modified: the commands create a custom group of the same family
    (default groups are named ``default.<family>``) and attach it.
    """
    kind = "db-cluster-parameter-group" if where.level == "cluster" else "db-parameter-group"
    group = where.group or "<parameter-group>"
    is_default = group.startswith("default.")
    commands: list[str] = []
    if is_default:
        family = group.removeprefix("default.")
        owner = aws.cluster.identifier if aws.cluster else (aws.writer and aws.writer.instance_id)
        group = f"{owner or 'cdc'}-cdc"
        commands.append(
            f"aws rds create-{kind} --{kind}-name {shlex.quote(group)} "
            f"--db-parameter-group-family {shlex.quote(family)} "
            f"--description 'CDC: logical replication'{_region(aws)}"
        )
    parameter = f"ParameterName={where.name},ParameterValue={value},ApplyMethod=pending-reboot"
    commands.append(
        f"aws rds modify-{kind} --{kind}-name {shlex.quote(group)} "
        f"--parameters {shlex.quote(parameter)}{_region(aws)}"
    )
    if is_default and where.level == "cluster" and aws.cluster:
        commands.append(
            f"aws rds modify-db-cluster --db-cluster-identifier "
            f"{shlex.quote(aws.cluster.identifier)} "
            f"--db-cluster-parameter-group-name {shlex.quote(group)}{_region(aws)}"
        )
    elif is_default and aws.writer:
        commands.append(
            f"aws rds modify-db-instance --db-instance-identifier "
            f"{shlex.quote(aws.writer.instance_id)} "
            f"--db-parameter-group-name {shlex.quote(group)}{_region(aws)}"
        )
    return commands
