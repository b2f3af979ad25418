"""The audit configuration: rule selection, per-rule options, estimates, scope and waivers.

Read from ``cdc-preflight.toml`` or from ``[tool.cdc-preflight]`` in ``pyproject.toml``.
Everything is validated when the file loads: an unknown key, rule, selector or option, a
value of the wrong type or out of its bounds, or a selection of no rule at all is a
:class:`ConfigError` whose one line names the file, the table and key, and the closest valid
name. A typo never silently disables a check.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from audit.engine import Rule, RuleOptions, all_rules, describe_options
from audit.estimate.options import EstimateOptions, MeasuredSnapshot, RowWidthOverride
from audit.scope import Scope, ScopeError
from audit.suggest import closest, field_error

CONFIG_FILE_NAMES = ("cdc-preflight.toml", "pyproject.toml")
PREFIX_PATTERN = re.compile(r"^CDC[0-9]{0,3}$")


class ConfigError(ValueError):
    """The configuration cannot be used; the message says why in one line."""


class ConfigProblem(ValueError):
    """One problem at one place of the configuration (the file name is added on load)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _rule_names() -> list[str]:
    return [name for r in all_rules() for name in (r.code, r.name)]


def _resolve_rule(key: str) -> Rule | None:
    """A rule by its exact code or name (``cdc101`` is not ``CDC101``)."""
    return next((r for r in all_rules() if key in (r.code, r.name)), None)


class Waiver(_Strict):
    """Accepts a finding: it stays visible in the report, marked waived, with the reason."""

    rule: str = Field(description="rule code or name")
    subject: str = Field(default="*", description="subject pattern (shell-style wildcards)")
    reason: str
    expires: date | None = None

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        if _resolve_rule(value) is None:
            raise ConfigProblem(f"rule: unknown rule {value}{closest(value, _rule_names())}")
        return value

    def matches(self, rule: Rule, subject: str) -> bool:
        return self.rule in (rule.code, rule.name) and fnmatch.fnmatchcase(subject, self.subject)

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today


class Connector(_Strict):
    """``[connector]``: the CDC connector itself, for the checks about its own sessions."""

    role: str | None = Field(
        default=None,
        min_length=1,
        max_length=63,
        description="the role the connector logs in as (CDC310, CDC311); default: the auditing "
        "role",
    )


class AuditConfig(_Strict):
    select: list[str] = Field(
        default_factory=lambda: ["CDC"], description="rule codes, code prefixes or names"
    )
    ignore: list[str] = Field(default_factory=list, description="rules left out of select")
    rules: dict[str, SerializeAsAny[RuleOptions]] = Field(
        default_factory=dict,
        description="per-rule options ([rules.CODE] or [rules.name]), validated, by rule code",
    )
    waivers: list[Waiver] = Field(default_factory=list)
    connector: Connector = Field(
        default_factory=Connector, description="the connector's own login: [connector] role"
    )
    scope: Scope = Field(default_factory=Scope, description="the tables CDC will capture")
    estimates: EstimateOptions = Field(
        default_factory=EstimateOptions,
        description="capacity-model overrides, e.g. free_disk_bytes, consumer throughput",
    )
    _origin: str = PrivateAttr(default="the configuration")

    @field_validator("select", "ignore")
    @classmethod
    def _known_selectors(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.field_name == "select" and not value:
            raise ConfigProblem('select = []: selects no rule (the default is ["CDC"])')
        for selector in value:
            if not any(_matches(selector, r) for r in all_rules()):
                prefixes = ["CDC", *(f"CDC{d}" for d in range(6))]
                hint = closest(selector, [*prefixes, *_rule_names()]) or (
                    ": give a code (CDC101), a code prefix (CDC1) or a rule name"
                )
                raise ConfigProblem(f"{info.field_name}: unknown rule {selector!r}{hint}")
        return value

    @field_validator("rules", mode="before")
    @classmethod
    def _rule_options(cls, value: object) -> dict[str, RuleOptions]:
        if not isinstance(value, dict):
            raise ConfigProblem("[rules] must be a table of [rules.CODE] tables")
        resolved: dict[str, RuleOptions] = {}
        seen: dict[str, str] = {}
        for key, given in value.items():
            rule = _resolve_rule(str(key))
            if rule is None:
                raise ConfigProblem(f"[rules.{key}] unknown rule{closest(key, _rule_names())}")
            if rule.code in seen:
                raise ConfigProblem(
                    f"[rules.{key}] repeats [rules.{seen[rule.code]}]: one table per rule"
                )
            seen[rule.code] = key
            # options built in code are validated like a table from the file
            table = (
                given.model_dump(exclude_unset=True) if isinstance(given, RuleOptions) else given
            )
            if not isinstance(table, dict):
                raise ConfigProblem(f"[rules.{key}] must be a table of options")
            try:
                resolved[rule.code] = rule.options.model_validate(table)
            except ValidationError as exc:
                raise ConfigProblem(_option_problem(key, rule, exc.errors()[0])) from None
        return resolved

    @property
    def origin(self) -> str:
        """The file this configuration was read from, for messages."""
        return self._origin

    def selects(self, rule: Rule) -> bool:
        """A selector is a code, a code prefix (``CDC2``) or a rule name; ignore wins."""
        return any(_matches(s, rule) for s in self.select) and not any(
            _matches(s, rule) for s in self.ignore
        )

    def options_for(self, rule: Rule) -> RuleOptions:
        """The rule's validated options; its defaults when the configuration sets none."""
        return self.rules[rule.code] if rule.code in self.rules else rule.options()


def _matches(selector: str, rule: Rule) -> bool:
    if selector == rule.name:
        return True
    prefix = selector.upper()
    return PREFIX_PATTERN.match(prefix) is not None and rule.code.startswith(prefix)


_CAPACITY_PLAN = (
    "the connector plan is audit-wide, set it under [estimates] ({name}; spare_senders is "
    "spare_slots)"
)
#: Former per-rule options now set once for every rule, and where each went: the audit-wide
#: connector plan (``[estimates]``) and the connector's role (``[connector]``).
MOVED_OPTIONS = {
    **dict.fromkeys(("planned_connectors", "spare_slots", "spare_senders"), _CAPACITY_PLAN),
    "connector_role": "the connector's role is one setting for every check, set it as "
    '[connector] role = "..."',
}


def _option_problem(key: str, rule: Rule, error: ErrorDetails) -> str:
    """One line for the first error of ``[rules.KEY]``, in the words of the declared option."""
    where = f"[rules.{key}]"
    name = str(error["loc"][0]) if error["loc"] else ""
    declared = {info.name: info for info in describe_options(rule.options)}
    if error["type"] == "extra_forbidden":
        if name in MOVED_OPTIONS:
            return f"{where} unknown option {name}: {MOVED_OPTIONS[name].format(name=name)}"
        if not declared:
            return f"{where} unknown option {name}: {rule.code} has no options"
        return f"{where} unknown option {name}{closest(name, declared)}"
    info = declared.get(name)
    if info is None:
        return f"{where} {name}: {error['msg']}"
    got = error.get("input")
    if error["type"] in ("greater_than_equal", "less_than_equal"):
        return f"{where} {name}: {got!r} is out of range ({info.bounds()})"
    return f"{where} {name}: expected {info.expected()}, got {got!r}"


def load_config(path: Path | None, search_dir: Path | None = None) -> AuditConfig:
    """Load ``path``; without one, look for a config file in ``search_dir`` (default: none)."""
    if path is None:
        if search_dir is None:
            return AuditConfig()
        for name in CONFIG_FILE_NAMES:
            candidate = search_dir / name
            if candidate.is_file():
                config = _load_file(candidate, required=name != "pyproject.toml")
                if config is not None:
                    return config
        return AuditConfig()
    config = _load_file(path, required=True)
    assert config is not None
    return config


def _load_file(path: Path, *, required: bool) -> AuditConfig | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("cdc-preflight")
        if data is None:
            if required:
                raise ConfigError(f"{path} has no [tool.cdc-preflight] table")
            return None
    return config_from_dict(data, str(path))


def config_from_dict(data: object, origin: str = "the configuration") -> AuditConfig:
    """The configuration in ``data`` (parsed TOML); ConfigError with one line naming
    ``origin``, the table and the key when anything in it is unknown or invalid."""
    try:
        config = AuditConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {describe_error(exc.errors()[0])}") from None
    config._origin = origin
    return config


_TABLES: dict[str, type[BaseModel]] = {
    "connector": Connector,
    "estimates": EstimateOptions,
    "scope": Scope,
    "waivers": Waiver,
}


def describe_error(error: ErrorDetails) -> str:
    """One line for a validation error: the table, the key and what is wrong with it."""
    cause = error.get("ctx", {}).get("error")
    loc = [str(part) for part in error["loc"]]
    if isinstance(cause, ConfigProblem | ScopeError):
        if loc and loc[0] == "waivers" and len(loc) > 1:
            return f"[[waivers]] #{int(loc[1]) + 1} {cause}"
        if loc and loc[0] in _TABLES:
            return f"[{loc[0]}] {cause}"
        return str(cause)
    if len(loc) == 1 and loc[0] in _TABLES and isinstance(cause, ValueError):
        return f"[{loc[0]}] {cause}"  # a check across the table's keys
    table, model, key = _place(loc)
    return field_error(error, table, key, model.model_fields)


def _place(loc: Sequence[str]) -> tuple[str, type[BaseModel], str]:
    """The TOML table a location is in, its model and the key."""
    if len(loc) <= 1:
        return "", AuditConfig, loc[0] if loc else "(top level)"
    if loc[0] == "waivers":
        return f"[[waivers]] #{int(loc[1]) + 1}", Waiver, ".".join(loc[2:]) or "(table)"
    if loc[0] == "estimates" and len(loc) > 3 and loc[1] == "row_widths":
        return f'[estimates.row_widths."{loc[2]}"]', RowWidthOverride, ".".join(loc[3:])
    if loc[0] == "estimates" and len(loc) > 2 and loc[1] == "measured_snapshot":
        return "[estimates] measured_snapshot:", MeasuredSnapshot, ".".join(loc[2:])
    model = _TABLES.get(loc[0], AuditConfig)
    return f"[{loc[0]}]", model, ".".join(loc[1:])
