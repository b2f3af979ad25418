"""The parameters of an audit: every setting of the run that differs from its default.

Security scanners print the parameters they ran with; so does the report ("Parameters of
this audit"), because a lowered threshold, a narrowed scope or an ignored rule changes what
the verdict means.
"""

from __future__ import annotations

from pathlib import Path

from audit.config import AuditConfig, Waiver
from audit.engine import Profile, all_rules, describe_options
from audit.report.model import DEFAULT_FAIL_ON, Parameter
from audit.scope import Scope

DEFAULT_PROFILE = "debezium"


def audit_parameters(
    profile: Profile, config: AuditConfig, fail_on: str | None = None
) -> list[Parameter]:
    """The non-default settings of a run, in the order a reader checks them; ``fail_on`` is
    the CLI's ``--fail-on`` (it decides the exit code, not the verdict)."""
    defaults = AuditConfig()
    found: list[Parameter] = []
    if config.origin != defaults.origin:  # the file's name: its directory is nobody's business
        found.append(Parameter(name="config", value=Path(config.origin).name, default=None))
    if profile.name != DEFAULT_PROFILE:
        found.append(Parameter(name="profile", value=profile.name, default=DEFAULT_PROFILE))
    if fail_on is not None and fail_on != DEFAULT_FAIL_ON:
        found.append(Parameter(name="fail_on", value=fail_on, default=DEFAULT_FAIL_ON))
    found += _scope(config.scope)
    if config.connector.role is not None:
        found.append(Parameter(name="connector.role", value=config.connector.role, default=None))
    for key in ("select", "ignore"):
        value, default = getattr(config, key), getattr(defaults, key)
        if value != default:
            found.append(Parameter(name=key, value=value, default=default))
    found += _rule_options(config)
    found += [
        Parameter(name=f"estimates.{key}", value=value, default=None)
        for key, value in config.estimates.overrides().items()
    ]
    found += [Parameter(name="waiver", value=_waiver(w), default=None) for w in config.waivers]
    return found


def _scope(scope: Scope) -> list[Parameter]:
    found = []
    if scope.tables:
        found.append(Parameter(name="scope.tables", value=scope.tables, default=[]))
    if scope.publication is not None:
        found.append(Parameter(name="scope.publication", value=scope.publication, default=None))
    return found


def _rule_options(config: AuditConfig) -> list[Parameter]:
    found = []
    for rule in all_rules():
        if rule.code not in config.rules:
            continue
        options = config.rules[rule.code]
        for info in describe_options(rule.options):
            value = getattr(options, info.name)
            if value != info.default:
                found.append(
                    Parameter(
                        name=f"rules.{rule.code}.{info.name}",
                        value=value,
                        default=info.default,
                        unit=info.unit.value,
                    )
                )
    return found


def _waiver(waiver: Waiver) -> str:
    expires = f" (expires {waiver.expires.isoformat()})" if waiver.expires else ""
    return f"{waiver.rule} on {waiver.subject}{expires}: {waiver.reason}"
