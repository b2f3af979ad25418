"""Configured against running: parameter groups and status fields against SHOW on the writer.

Pure functions over :class:`AwsFacts` and ``Facts.settings``. The control plane says what is
configured (``describe_db_cluster_parameters``, instance overrides) and whether a member
claims to have applied it (``DBClusterParameterGroupStatus``, ``ParameterApplyStatus``); the
writer's ``SHOW`` values say what runs. A status field may say ``in-sync`` while the writer
still runs the old value, so both are read, and either one can show a pending reboot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from audit.engine.rule import known
from audit.facts import Facts
from audit.facts.aws import IN_SYNC, AwsFacts, AwsMember, AwsParameter

_ON = {"1", "on", "true", "yes"}
_OFF = {"0", "off", "false", "no"}

# Aurora PostgreSQL versions from which rebooting the writer no longer reboots the readers
# (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-mysql-survivable-replicas.html)
_READ_AVAILABILITY_SINCE = {12: (12, 14), 13: (13, 10), 14: (14, 7), 15: (15, 2)}


def flag(value: str | None) -> bool | None:
    """A boolean parameter or GUC as PostgreSQL and RDS spell it ('1', 'on', 'off', '0')."""
    if value is None:
        return None
    text = value.strip().lower()
    if text in _ON:
        return True
    if text in _OFF:
        return False
    return None


def parse_version(version: str | None) -> tuple[int, ...] | None:
    """'15.4' -> (15, 4); '13.10' -> (13, 10); None or junk -> None."""
    if not version:
        return None
    match = re.match(r"^(\d+(?:\.\d+)*)", version.strip())
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def major_of(version: str | None) -> int | None:
    parsed = parse_version(version)
    return parsed[0] if parsed else None


def readers_survive_writer_reboot(engine_version: str | None) -> bool | None:
    """True from Aurora PostgreSQL 15.2, 14.7, 13.10, 12.14 on (read availability)."""
    parsed = parse_version(engine_version)
    if parsed is None:
        return None
    since = _READ_AVAILABILITY_SINCE.get(parsed[0])
    if since is None:
        return parsed[0] > max(_READ_AVAILABILITY_SINCE)
    return parsed[:2] >= since


def unapplied(member: AwsMember) -> dict[str, str]:
    """Every parameter-group status of ``member`` that is not ``in-sync``, by where it shows."""
    pending: dict[str, str] = {}
    if member.cluster_pg_status is not None and member.cluster_pg_status != IN_SYNC:
        pending["DBClusterParameterGroupStatus"] = member.cluster_pg_status
    for group in member.parameter_groups:
        if group.apply_status is not None and group.apply_status != IN_SYNC:
            pending[f"ParameterApplyStatus({group.name})"] = group.apply_status
    return pending


def is_override(parameter: AwsParameter) -> bool:
    """Set in the group itself; a missing Source (moto) counts as set."""
    return parameter.source in (None, "user")


@dataclass(frozen=True)
class Configured:
    """The value a member gets from its parameter groups, and where it comes from."""

    name: str
    value: str | None
    group: str | None
    level: Literal["cluster", "instance"]
    parameter: AwsParameter | None
    overrides_known: bool = True

    @property
    def is_on(self) -> bool:
        """Unset means the engine default, which is off for every flag we read."""
        return flag(self.value) is True

    def evidence(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "parameter": self.name,
            "configured_value": self.value,
            "parameter_group": self.group,
            "level": self.level,
        }
        if self.parameter is not None:
            data["source"] = self.parameter.source
            data["apply_type"] = self.parameter.apply_type
        if not self.overrides_known:
            data["instance_overrides"] = "unknown (instance parameter groups not read)"
        return data


def configured(facts: Facts, aws: AwsFacts, name: str, member: AwsMember) -> Configured:
    """The effective configured value of ``name`` for ``member``.

    Aurora: a value set in the member's DB parameter group overrides the cluster group.
    RDS: the instance's DB parameter group is the only one. Raises NotEvaluated when the group
    that decides could not be read.
    """
    if not aws.is_cluster:
        groups = known(facts, aws.instance_parameter_groups, "aws.instance_parameters")
        for status in member.parameter_groups:
            group = groups.get(status.name)
            parameters = known(
                facts, group.parameters if group else None, "aws.instance_parameters"
            )
            if name in parameters:
                return Configured(
                    name, parameters[name].value, status.name, "instance", parameters[name]
                )
        first = member.parameter_groups[0].name if member.parameter_groups else None
        return Configured(name, None, first, "instance", None)
    overrides_known = True
    for status in member.parameter_groups:
        group = (aws.instance_parameter_groups or {}).get(status.name)
        if group is None or group.parameters is None:
            overrides_known = False
            continue
        parameter = group.parameters.get(name)
        if parameter is not None and is_override(parameter):
            return Configured(name, parameter.value, status.name, "instance", parameter)
    cluster_group = known(facts, aws.cluster_parameter_group, "aws.cluster_parameters")
    parameters = known(facts, cluster_group.parameters, "aws.cluster_parameters")
    parameter = parameters.get(name)
    return Configured(
        name,
        parameter.value if parameter else None,
        cluster_group.name,
        "cluster",
        parameter,
        overrides_known,
    )


@dataclass(frozen=True)
class Running:
    """What the writer runs, from ``SHOW`` through SQL; ``None`` values are unknown."""

    logical_replication: str | None
    wal_level: str | None
    unknown_reason: str | None = None

    @property
    def logical_decoding(self) -> bool | None:
        """False when either value says off; True when one says on and none says off."""
        verdicts = [flag(self.logical_replication)]
        if self.wal_level is not None:
            verdicts.append(self.wal_level == "logical")
        if False in verdicts:
            return False
        return True if True in verdicts else None

    def evidence(self) -> dict[str, Any]:
        if self.unknown_reason:
            return {"running": self.unknown_reason}
        return {
            "running_rds_logical_replication": self.logical_replication,
            "running_wal_level": self.wal_level,
        }


def _not_the_writer(facts: Facts) -> str | None:
    """Why the SQL settings do not describe the writer, or None when they do."""
    if facts.settings is None:
        return "unknown: settings were not collected"
    if facts.server is not None and facts.server.in_recovery:
        return "unknown: the audit connected to a reader, not the writer"
    return None


def writer_setting(facts: Facts, name: str) -> str | None:
    """The writer's running value of ``name``; None when unknown or not collected."""
    if _not_the_writer(facts) is not None:
        return None
    setting = facts.setting(name)
    return setting.value if setting else None


def running_on_writer(facts: Facts) -> Running:
    """The writer's running ``rds.logical_replication`` and ``wal_level``."""
    reason = _not_the_writer(facts)
    if reason is not None:
        return Running(None, None, reason)
    return Running(
        writer_setting(facts, "rds.logical_replication"), writer_setting(facts, "wal_level")
    )
