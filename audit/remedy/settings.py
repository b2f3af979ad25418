"""Changing a server setting, in the form the platform takes.

Self-managed PostgreSQL takes ``ALTER SYSTEM`` and a reload or a restart. RDS takes its DB
parameter group; Aurora the group that decides the parameter for the writer (an instance
group's own value overrides the cluster group: :func:`audit.platform.reconcile.configured`). A
static parameter is staged (``pending-reboot``) and applied by rebooting the writer; a
dynamic one applies at once. ``ALTER SYSTEM`` is never offered on RDS or Aurora: they refuse it.

A value already staged (``pg_file_settings`` not applied, or a parameter group value the
writer does not run yet) is a :class:`Staged`; :func:`apply_staged` is the fix that only
applies it, so a finding the pending restart resolves does not change the parameter twice.
"""

from __future__ import annotations

from audit.engine.rule import NotEvaluated
from audit.estimate.model import SettingRecommendation
from audit.facts import Facts
from audit.platform.reconcile import configured
from audit.platform.staged import Staged, staged_settings
from audit.remedy.aws_cli import Group, Target, reboot, set_parameter
from audit.remedy.model import ChangeWindow, Fix, Step, StepKind, note, sql

_BARE = ("on", "off", "true", "false", "logical", "replica", "minimal")


def target_of(facts: Facts) -> Target:
    return Target.of(facts.aws, aurora=facts.platform.is_aurora)


def conf_value(value: str) -> str:
    """A value as ``ALTER SYSTEM`` takes it: numbers and key words bare, the rest quoted."""
    if value.lstrip("-").isdigit() or value in _BARE:
        return value
    return "'" + value.replace("'", "''") + "'"


def deciding_group(facts: Facts, parameter: str) -> Group:
    """The parameter group that decides ``parameter`` for the writer; names unknown: None."""
    aws = facts.aws
    aurora = facts.platform.is_aurora
    level: str = "cluster" if aurora else "instance"
    if aws is None:
        return Group(None, "cluster" if aurora else "instance")
    writer = aws.writer
    if writer is not None:
        try:
            where = configured(facts, aws, parameter, writer)
        except NotEvaluated:
            pass
        else:
            if where.group is not None:
                return Group(where.group, where.level, _family(facts, where.group, where.level))
    if level == "cluster":
        name = aws.cluster.parameter_group if aws.cluster else None
        return Group(name, "cluster", _family(facts, name, "cluster"))
    first = writer.parameter_groups[0].name if writer and writer.parameter_groups else None
    return Group(first, "instance", _family(facts, first, "instance"))


def _family(facts: Facts, group: str | None, level: str) -> str | None:
    aws = facts.aws
    if aws is None or group is None:
        return None
    if level == "cluster":
        found = aws.cluster_parameter_group
        return found.family if found is not None and found.name == group else None
    instance = (aws.instance_parameter_groups or {}).get(group)
    return instance.family if instance is not None else None


def set_setting(
    facts: Facts,
    name: str,
    value: str,
    *,
    restart: bool,
    group_value: str | None = None,
    group_parameter: str | None = None,
) -> Fix:
    """The steps that set ``name`` to ``value`` on this platform.

    ``value`` is the PostgreSQL form (``'100GB'``, ``12``, ``logical``); ``group_value`` the
    parameter-group form, in the parameter's base unit (``102400``); ``group_parameter`` the
    parameter that stands for ``name`` in a group (``rds.logical_replication`` for
    ``wal_level``). ``restart``: the setting applies only at server start (static on AWS).
    """
    group_value = group_value or value
    group_parameter = group_parameter or name
    setting = facts.setting(name)
    current = setting.value if setting is not None else None
    platform = facts.platform
    if platform.is_managed:
        target = target_of(facts)
        steps = set_parameter(
            target,
            deciding_group(facts, group_parameter),
            group_parameter,
            group_value,
            static=restart,
            current=current,
        )
        return Fix(steps=tuple(steps))
    window = ChangeWindow.RESTART if restart else ChangeWindow.RELOAD
    facts_used: dict[str, object] = {"setting": name, "value": value}
    if current is not None:
        facts_used["current_value"] = current
    steps = [sql(f"ALTER SYSTEM SET {name} = {conf_value(value)};", window, **facts_used)]
    if restart:
        steps.append(restart_server(name))
    else:
        steps.append(sql("SELECT pg_reload_conf();", ChangeWindow.RELOAD, setting=name))
    if facts.server is None and facts.aws is None:
        steps.append(
            note(f"on RDS or Aurora set {group_parameter} = {group_value} in the parameter group")
        )
    return Fix(steps=tuple(steps))


def set_recommended(facts: Facts, recommendation: SettingRecommendation) -> Fix:
    """The steps that set a parameter to the audit's one recommended value (in the form the
    platform takes: ``ALTER SYSTEM``, or the parameter group's name and base unit)."""
    if recommendation.recommended is None:
        raise ValueError(f"no value is recommended for {recommendation.name}")
    return set_setting(
        facts,
        recommendation.name,
        recommendation.recommended,
        restart=recommendation.restart,
        group_value=recommendation.parameter_group_value,
        group_parameter=recommendation.parameter_group_name,
    )


def restart_server(name: str) -> Step:
    """Self-managed: the restart that applies a postmaster setting."""
    return Step(
        kind=StepKind.NOTE,
        text=f"restart the server (pg_ctl restart, or the service manager): {name} applies "
        "only at server start",
        window=ChangeWindow.RESTART,
        facts={"setting": name},
        restarts="server",
    )


def staged_value(facts: Facts, name: str, group_parameter: str | None = None) -> Staged | None:
    """The value staged for ``name`` (or the group parameter standing for it), as
    :func:`audit.platform.staged.staged_settings` reconciles files and parameter groups."""
    staged = staged_settings(facts)
    return staged.get(name) or (staged.get(group_parameter) if group_parameter else None)


def apply_staged(facts: Facts, staged: Staged) -> Fix:
    """Only the restart, reboot or reload that applies ``staged``: no second change."""
    said = note(
        f"{staged.name} = {staged.value} is already staged: {staged.label}",
        setting=staged.name,
        staged_value=staged.value,
        where=staged.where,
    )
    if staged.on_aws or facts.platform.is_managed:
        target = target_of(facts)
        if staged.applies_at == "reload":
            return Fix(steps=(said,))
        return Fix(steps=(said, reboot(target, why=f"applies the staged {staged.name}")))
    if staged.applies_at == "restart":
        return Fix(steps=(said, restart_server(staged.name)))
    return Fix(
        steps=(said, sql("SELECT pg_reload_conf();", ChangeWindow.RELOAD, setting=staged.name))
    )
