"""Values that are configured but not running yet: one answer for every output.

Two places can stage a setting. On the server, ``ALTER SYSTEM`` or ``postgresql.conf`` hold a
value that ``pg_file_settings`` shows and the server has not applied (``Setting.pending_value``).
On RDS and Aurora, the writer's parameter groups hold a value that differs from what the writer
runs (``SHOW``), and the writer has not applied its groups (a status other than ``in-sync``) or
the parameter is static. :func:`staged_settings` reconciles both into one typed value per
setting; the settings inventory, the rules that ask "is this already staged?" and the
recommendations read it, never the raw facts.

On Aurora and RDS, ``rds.logical_replication = 1`` sets ``wal_level = logical`` when the writer
restarts: a staged ``rds.logical_replication`` therefore also stages ``wal_level``, marked as
derived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from audit.facts import Facts
from audit.facts.aws import IN_SYNC, AwsFacts, AwsMember, AwsParameter
from audit.platform.reconcile import flag, is_override, writer_setting

AppliesAt = Literal["reload", "restart", "writer reboot"]
LOGICAL_FLAG = "rds.logical_replication"


@dataclass(frozen=True)
class Staged:
    """A setting's configured value that the running server does not run yet."""

    name: str
    value: str
    running: str | None  # what the server runs; None when it does not report it
    where: str  # e.g. "cluster parameter group demo-aurora-cdc", "postgresql.auto.conf:3"
    applies_at: AppliesAt
    status: tuple[str, ...] = ()  # e.g. ("DBClusterParameterGroupStatus=pending-reboot",)
    derived_from: str | None = None  # e.g. "rds.logical_replication=1 (cluster parameter group x)"
    error: str | None = None  # why the server refused the staged value (pg_file_settings)

    @property
    def on_aws(self) -> bool:
        """Staged in a parameter group (applied by the control plane, not the server)."""
        return self.applies_at == "writer reboot"

    @property
    def when(self) -> str:
        """When it applies, for a sentence: ``the next restart``."""
        return {
            "reload": "the next reload",
            "restart": "the next restart",
            "writer reboot": "the next reboot of the writer",
        }[self.applies_at]

    @property
    def label(self) -> str:
        """Where the value waits and what applies it, for one table cell."""
        if self.derived_from is not None:
            return f"derived from {self.derived_from}; pending {self.applies_at}"
        return f"{self.where}; pending {self.applies_at}"


def staged_settings(facts: Facts) -> dict[str, Staged]:
    """Every staged setting of the audited server by name, from the control plane and the files.

    The control plane wins where both stage a setting (a parameter group is what RDS and
    Aurora apply). Parameter groups that could not be read contribute nothing: their absence is
    a collection issue of its own.
    """
    staged = {name: _from_file(facts, name) for name in _file_staged(facts)}
    if facts.aws is not None:
        staged.update(_from_parameter_groups(facts, facts.aws))
    return dict(sorted(staged.items()))


def _file_staged(facts: Facts) -> list[str]:
    return [n for n, s in (facts.settings or {}).items() if s.pending_value is not None]


def _from_file(facts: Facts, name: str) -> Staged:
    setting = facts.settings[name] if facts.settings else None
    assert setting is not None and setting.pending_value is not None
    return Staged(
        name=name,
        value=setting.pending_value,
        running=setting.value,
        where=setting.pending_source or "a configuration file",
        applies_at="restart" if setting.context == "postmaster" else "reload",
        error=setting.pending_error,
    )


def _from_parameter_groups(facts: Facts, aws: AwsFacts) -> dict[str, Staged]:
    writer = aws.writer
    if writer is None:
        return {}
    out: dict[str, Staged] = {}
    for parameter, where, status in _effective(aws, writer):
        if parameter.value is None:
            continue  # the engine default: nothing is staged
        running = writer_setting(facts, parameter.name)
        if running is not None and _same(parameter.value, running):
            continue
        static = parameter.apply_type == "static" or parameter.apply_method == "pending-reboot"
        if status is None and not (static and running is not None):
            continue  # applied (in-sync), or a dynamic value we cannot compare
        out[parameter.name] = Staged(
            name=parameter.name,
            value=parameter.value,
            running=running,
            where=where,
            applies_at="writer reboot",
            status=(status,) if status else (),
        )
    logical = out.get(LOGICAL_FLAG)
    if logical is not None and flag(logical.value) is True and "wal_level" not in out:
        running = writer_setting(facts, "wal_level")
        if running != "logical":
            out["wal_level"] = Staged(
                name="wal_level",
                value="logical",
                running=running,
                where=logical.where,
                applies_at="writer reboot",
                status=logical.status,
                derived_from=f"{LOGICAL_FLAG}={logical.value} ({logical.where})",
            )
    return out


def _effective(aws: AwsFacts, writer: AwsMember) -> list[tuple[AwsParameter, str, str | None]]:
    """(parameter, where it is set, the writer's unapplied status there or None) for every
    parameter the writer's groups set; an instance group's value overrides the cluster's."""
    found: dict[str, tuple[AwsParameter, str, str | None]] = {}
    group = aws.cluster_parameter_group
    if aws.is_cluster and group is not None:
        status = writer.cluster_pg_status
        pending = (
            f"DBClusterParameterGroupStatus={status}" if status not in (None, IN_SYNC) else None
        )
        for parameter in (group.parameters or {}).values():
            found[parameter.name] = (parameter, f"cluster parameter group {group.name}", pending)
    for attached in writer.parameter_groups:
        instance_group = (aws.instance_parameter_groups or {}).get(attached.name)
        if instance_group is None:
            continue
        status = attached.apply_status
        pending = (
            f"ParameterApplyStatus({attached.name})={status}"
            if status not in (None, IN_SYNC)
            else None
        )
        for parameter in (instance_group.parameters or {}).values():
            if aws.is_cluster and not is_override(parameter):
                continue
            found[parameter.name] = (parameter, f"DB parameter group {attached.name}", pending)
    return list(found.values())


def _same(configured: str, running: str) -> bool:
    """Equal as PostgreSQL reads them: '1' is 'on', '0010' is '10', case does not matter."""
    as_flags = flag(configured), flag(running)
    if None not in as_flags:
        return as_flags[0] == as_flags[1]
    if configured.strip().lstrip("-").isdigit() and running.strip().lstrip("-").isdigit():
        return int(configured) == int(running)
    return configured.strip().lower() == running.strip().lower()
