"""The one builder of ``aws rds ...`` steps: parameter groups, reboots, and what a reboot costs.

Every command names the real cluster, instance, group and region the AWS facts give, and a
``<placeholder>`` only for what the facts do not hold. Commands are quoted word by word
(``shlex``), so a name from the facts cannot reach a shell's parser. No boto3 here: this
module only writes text.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal

from audit.facts.aws import AwsFacts
from audit.platform.reconcile import readers_survive_writer_reboot
from audit.remedy.model import ChangeWindow, Step, StepKind

Level = Literal["cluster", "instance"]


@dataclass(frozen=True)
class Target:
    """Where AWS commands go: what the facts say, placeholders for what they do not."""

    aurora: bool
    region: str | None
    cluster: str | None
    writer: str | None
    engine_version: str | None

    @classmethod
    def of(cls, aws: AwsFacts | None, *, aurora: bool) -> Target:
        if aws is None:
            return cls(aurora, None, None, None, None)
        return cls(
            aws.is_cluster,
            aws.region,
            aws.cluster.identifier if aws.cluster else None,
            aws.writer.instance_id if aws.writer else None,
            aws.engine_version,
        )

    @property
    def writer_name(self) -> str:
        return self.writer or ("<writer-instance>" if self.aurora else "<instance>")

    @property
    def cluster_name(self) -> str:
        return self.cluster or "<cluster>"

    @property
    def reboot_window(self) -> ChangeWindow:
        """What a reboot of the writer costs: Aurora's writer reboot, or an RDS restart."""
        return ChangeWindow.WRITER_REBOOT if self.aurora else ChangeWindow.RESTART

    def facts(self) -> dict[str, str]:
        found = {"region": self.region, "cluster": self.cluster, "writer": self.writer}
        return {k: v for k, v in found.items() if v is not None}


def command(target: Target, *words: str) -> str:
    """``aws <words> [--region R]``, each word quoted for a POSIX shell."""
    region = ("--region", target.region) if target.region else ()
    return shlex.join(("aws", *words, *region))


def aws_step(
    target: Target,
    words: tuple[str, ...],
    window: ChangeWindow = ChangeWindow.ONLINE,
    *,
    restarts: str | None = None,
    comment: str | None = None,
    **facts: object,
) -> Step:
    return Step(
        kind=StepKind.AWS_CLI,
        text=command(target, *words),
        window=window,
        facts={**target.facts(), **facts},
        comment=comment,
        restarts=restarts,
    )


def reboot(target: Target, instance: str | None = None, *, why: str) -> Step:
    """Reboot ``instance`` (the writer when None): the step that applies static parameters.

    Its comment says what the reboot costs; a plan runs one reboot per instance.
    """
    name = instance or target.writer_name
    is_writer = instance is None or instance == target.writer
    window = target.reboot_window if is_writer else ChangeWindow.RESTART
    impact = reboot_impact(target) if is_writer else READER_IMPACT
    return aws_step(
        target,
        ("rds", "reboot-db-instance", "--db-instance-identifier", name),
        window,
        restarts=name,
        comment=impact,
        instance=name,
        why=why,
    )


READER_IMPACT = "Impact: the reader leaves the reader endpoint while it restarts."


def reboot_impact(target: Target) -> str:
    """What rebooting the writer costs, by engine and version."""
    if not target.aurora:
        return "Impact: a brief outage of the instance while it restarts."
    version = target.engine_version
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


@dataclass(frozen=True)
class Group:
    """The parameter group that decides a parameter (see audit.platform.reconcile.configured)."""

    name: str | None
    level: Level
    family: str | None = None

    @property
    def kind(self) -> str:
        return "db-cluster-parameter-group" if self.level == "cluster" else "db-parameter-group"

    @property
    def is_default(self) -> bool:
        """Default groups (``default.<family>``) cannot be modified."""
        return self.name is not None and self.name.startswith("default.")


def set_parameter(
    target: Target,
    group: Group,
    name: str,
    value: str,
    *,
    static: bool,
    current: str | None = None,
) -> list[Step]:
    """Set ``name`` to ``value`` in ``group``; a default group is replaced by a custom copy.

    Static parameters are staged (``ApplyMethod=pending-reboot``) and take effect when the
    writer reboots; dynamic ones apply at once (``immediate``), unless a new group had to be
    attached, which itself takes a reboot.
    """
    steps: list[Step] = []
    group_name = group.name or (
        "<cluster-parameter-group>" if group.level == "cluster" else "<parameter-group>"
    )
    attach = group.is_default
    needs_reboot = static or attach
    window = target.reboot_window if needs_reboot else ChangeWindow.RELOAD
    facts = {"parameter": name, "value": value, "parameter_group": group_name}
    if current is not None:
        facts["current_value"] = current
    if attach:
        family = group.family or group_name.removeprefix("default.")
        owner = target.cluster if group.level == "cluster" else target.writer
        new_group = f"{owner or 'cdc'}-cdc"
        steps.append(
            aws_step(
                target,
                (
                    "rds",
                    f"create-{group.kind}",
                    f"--{group.kind}-name",
                    new_group,
                    "--db-parameter-group-family",
                    family,
                    "--description",
                    "CDC: logical replication",
                ),
                default_group=group_name,
                parameter_group=new_group,
                family=family,
            )
        )
        facts["default_group"] = group_name
        facts["parameter_group"] = group_name = new_group
    steps.append(
        modify_parameter(
            target, Group(group_name, group.level), name, value, static=static, window=window
        ).model_copy(update={"facts": {**target.facts(), **facts}})
    )
    if attach and group.level == "cluster":
        steps.append(
            aws_step(
                target,
                (
                    "rds",
                    "modify-db-cluster",
                    "--db-cluster-identifier",
                    target.cluster_name,
                    "--db-cluster-parameter-group-name",
                    group_name,
                ),
                window,
                parameter_group=group_name,
            )
        )
    elif attach:
        steps.append(
            aws_step(
                target,
                (
                    "rds",
                    "modify-db-instance",
                    "--db-instance-identifier",
                    target.writer_name,
                    "--db-parameter-group-name",
                    group_name,
                ),
                window,
                parameter_group=group_name,
            )
        )
    if needs_reboot:
        why = f"applies {name} = {value}" if static else f"attaches {group_name}"
        steps.append(reboot(target, why=why))
    return steps


def modify_parameter(
    target: Target, group: Group, name: str, value: str, *, static: bool, window: ChangeWindow
) -> Step:
    """One ``modify-db[-cluster]-parameter-group`` call: ``pending-reboot`` when static."""
    method = "pending-reboot" if static else "immediate"
    group_name = group.name or f"<{group.kind}>"
    return aws_step(
        target,
        (
            "rds",
            f"modify-{group.kind}",
            f"--{group.kind}-name",
            group_name,
            "--parameters",
            f"ParameterName={name},ParameterValue={value},ApplyMethod={method}",
        ),
        window,
        parameter=name,
        value=value,
        parameter_group=group_name,
    )


def reset_parameter(target: Target, group: str, name: str, window: ChangeWindow) -> Step:
    """Remove ``name`` from the DB parameter group ``group``, so the cluster group decides."""
    return aws_step(
        target,
        (
            "rds",
            "reset-db-parameter-group",
            "--db-parameter-group-name",
            group,
            "--parameters",
            f"ParameterName={name},ApplyMethod=pending-reboot",
        ),
        window,
        parameter_group=group,
        parameter=name,
    )
