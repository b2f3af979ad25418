"""The audit configuration: rule selection, per-rule options and waivers.

Read from ``cdc-preflight.toml`` or from ``[tool.cdc-preflight]`` in ``pyproject.toml``.
Unknown keys are errors, so a typo never silently disables a check.
"""

from __future__ import annotations

import fnmatch
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from audit.engine import Rule
from audit.scope import Scope

CONFIG_FILE_NAMES = ("cdc-preflight.toml", "pyproject.toml")


class ConfigError(ValueError):
    """The configuration file cannot be used; the message says why in one line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Waiver(_Strict):
    """Accepts a finding: it stays visible in the report, marked waived, with the reason."""

    rule: str = Field(description="rule code or name")
    subject: str = Field(default="*", description="subject pattern (shell-style wildcards)")
    reason: str
    expires: date | None = None

    def matches(self, rule: Rule, subject: str) -> bool:
        return self.rule in (rule.code, rule.name) and fnmatch.fnmatchcase(subject, self.subject)

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today


class AuditConfig(_Strict):
    select: list[str] = Field(default_factory=lambda: ["CDC"])
    ignore: list[str] = Field(default_factory=list)
    rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per-rule options, keyed by rule code"
    )
    waivers: list[Waiver] = Field(default_factory=list)
    scope: Scope = Field(default_factory=Scope, description="the tables CDC will capture")
    estimates: dict[str, Any] = Field(
        default_factory=dict,
        description="capacity-model overrides, e.g. free_disk_bytes, consumer throughput",
    )

    def selects(self, rule: Rule) -> bool:
        """A selector is a code, a code prefix (``CDC2``) or a rule name; ignore wins."""
        return any(_matches(s, rule) for s in self.select) and not any(
            _matches(s, rule) for s in self.ignore
        )

    def options_for(self, rule: Rule) -> dict[str, Any]:
        return dict(self.rules.get(rule.code, {}))


def _matches(selector: str, rule: Rule) -> bool:
    return selector == rule.name or rule.code.startswith(selector.upper())


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
    try:
        return AuditConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{path}: {where}: {first['msg']}") from exc
