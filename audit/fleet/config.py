"""FLEET.toml: the targets of a fleet run and the settings they share.

```toml
[defaults]
profile = "debezium"
sample_seconds = 60
labels = { env = "prod" }

[[targets]]
name = "orders"
service = "orders-prod"          # a libpq service (pg_service.conf); or dsn = "host=... dbname=..."
labels = { team = "checkout" }
sample_seconds = 120             # any setting of [defaults] may be overridden per target
```

Everything is validated when the file loads, before any target is contacted: an unknown key
(with the closest valid one), a password in a ``dsn`` or a ``password`` key (secrets never in
the file: a libpq service file, ``~/.pgpass``, the environment or ``iam_auth``), two targets of
one name, a target with neither or both of ``dsn`` and ``service``, a scope or a report
configuration that ``audit`` would refuse. Each is a :class:`FleetConfigError` of one line
naming the file, the table and the key.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from audit.config import ConfigError, load_config
from audit.labels import check_labels
from audit.scope import ScopeError, scope_from_options
from audit.suggest import closest, field_error

REPORT_FORMATS = ("html", "pdf", "json", "md", "junit", "prom")
DEFAULT_FORMATS = ("html", "json")
DEFAULT_SAMPLE_SECONDS = 60.0
DEFAULT_INTERVAL = 5.0
#: Time for connecting, analysing and writing on top of the sampling window.
DEFAULT_TIMEOUT_MARGIN = 600.0
#: Names of the fleet's own files and folders in --out: no target folder may take them.
RESERVED_FOLDERS = frozenset({"fleet.json", "fleet.html", "fleet.csv", "logs"})
SECRETS_NEVER = (
    "secrets never in the file: use a libpq service file (pg_service.conf), ~/.pgpass, "
    "PGPASSWORD in the environment or iam_auth = true"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Profile = Literal["debezium", "dms", "native", "generic"]


class FleetConfigError(ValueError):
    """The fleet file cannot be used; the message says why in one line."""


class _Problem(ValueError):
    """One problem at one place of the file (the place is added when the file loads)."""


class _Settings(BaseModel):
    """What [defaults] sets for every target and a target may override."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: Profile | None = None
    sample_seconds: float | None = Field(default=None, ge=0, le=86_400, allow_inf_nan=False)
    interval: float | None = Field(default=None, ge=0.2, le=3_600, allow_inf_nan=False)
    tables: str | None = Field(default=None, description="capture scope, as audit --tables")
    publication: str | None = Field(default=None, description="capture scope: a publication")
    config: Path | None = Field(
        default=None, description="cdc-preflight.toml for the audit (relative to FLEET.toml)"
    )
    formats: list[str] | None = Field(default=None, description="report formats; json always")
    labels: dict[str, str] = Field(default_factory=dict)
    aws_region: str | None = None
    aws_profile: str | None = None
    iam_auth: bool | None = None
    read_probe: bool | None = None
    timeout_seconds: float | None = Field(default=None, gt=0, le=172_800, allow_inf_nan=False)

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        return check_labels(value)

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, value: list[str] | None) -> list[str] | None:
        for name in value or []:
            if name not in REPORT_FORMATS:
                raise _Problem(
                    f"unknown report format {name!r}{closest(name, REPORT_FORMATS)}; "
                    f"choose from {','.join(REPORT_FORMATS)}"
                )
        return value


class Defaults(_Settings):
    pass


class Target(_Settings):
    name: str = Field(min_length=1, max_length=200)
    dsn: str | None = Field(default=None, description="libpq connection string or URI")
    service: str | None = Field(default=None, description="a service of pg_service.conf")
    aws_cluster_id: str | None = None
    aws_instance_id: str | None = None

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        if _CONTROL.search(value) or value != value.strip():
            raise _Problem(f"name {value!r}: no control characters or surrounding spaces")
        return value

    @field_validator("dsn")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            params = conninfo_to_dict(value)
        except psycopg.ProgrammingError as exc:
            reason = " ".join(str(exc).split())
            raise _Problem(f"not a libpq connection string: {reason}") from None
        if params.get("password") is not None:
            raise _Problem(f"holds a password; {SECRETS_NEVER}")
        return value


class FleetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: Defaults = Field(default_factory=Defaults)
    targets: list[Target] = Field(min_length=1)


@dataclass(frozen=True)
class TargetPlan:
    """One target with [defaults] merged under its own settings: what its audit runs with."""

    name: str
    folder: str
    dsn: str
    profile: str
    sample_seconds: float
    interval: float
    tables: str | None
    publication: str | None
    config: Path | None
    formats: tuple[str, ...]
    labels: dict[str, str]
    aws_cluster_id: str | None
    aws_instance_id: str | None
    aws_region: str | None
    aws_profile: str | None
    iam_auth: bool
    read_probe: bool
    timeout_seconds: float


def load_fleet(path: Path) -> list[TargetPlan]:
    """The targets of ``path``, in file order; FleetConfigError when anything is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FleetConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FleetConfigError(f"{path} is not valid TOML: {exc}") from exc
    try:
        fleet = FleetFile.model_validate(data)
    except ValidationError as exc:
        raise FleetConfigError(f"{path}: {_describe(exc.errors()[0], data)}") from None
    _check_names(path, fleet.targets)
    try:
        folders = _folders([t.name for t in fleet.targets])
    except FleetConfigError as exc:
        raise FleetConfigError(f"{path}: {exc}") from None
    base = path.parent
    plans = [_plan(path, base, fleet.defaults, t, folders[t.name]) for t in fleet.targets]
    for config in {p.config for p in plans if p.config is not None}:
        try:
            load_config(config)
        except ConfigError as exc:
            raise FleetConfigError(f"{path}: config: {exc}") from None
    return plans


def _check_names(path: Path, targets: list[Target]) -> None:
    seen: dict[str, int] = {}
    for number, target in enumerate(targets, 1):
        if target.name in seen:
            raise FleetConfigError(
                f"{path}: [[targets]] #{number}: name {target.name!r} is already target "
                f"#{seen[target.name]}: names must be unique"
            )
        seen[target.name] = number
        if (target.dsn is None) == (target.service is None):
            which = "neither" if target.dsn is None else "both"
            raise FleetConfigError(
                f"{path}: [[targets]] #{number} ({target.name}): {which} dsn and service; "
                'give one (dsn = "host=... dbname=..." or service = "NAME" of '
                "pg_service.conf)"
            )


def _plan(path: Path, base: Path, defaults: Defaults, target: Target, folder: str) -> TargetPlan:
    def pick(name: str, fallback: Any) -> Any:
        value = getattr(target, name)
        if value is None:
            value = getattr(defaults, name)
        return fallback if value is None else value

    tables, publication = pick("tables", None), pick("publication", None)
    try:
        scope_from_options(tables, publication)
    except ScopeError as exc:
        raise FleetConfigError(f"{path}: target {target.name!r}: {exc}") from None
    config: Path | None = pick("config", None)
    formats = tuple(pick("formats", list(DEFAULT_FORMATS)))
    sample_seconds = float(pick("sample_seconds", DEFAULT_SAMPLE_SECONDS))
    dsn = target.dsn if target.dsn is not None else f"service={_quoted(target.service or '')}"
    return TargetPlan(
        name=target.name,
        folder=folder,
        dsn=dsn,
        profile=pick("profile", "debezium"),
        sample_seconds=sample_seconds,
        interval=float(pick("interval", DEFAULT_INTERVAL)),
        tables=tables,
        publication=publication,
        config=None if config is None else (base / config).resolve(),
        formats=formats if "json" in formats else (*formats, "json"),
        labels={**defaults.labels, **target.labels},
        aws_cluster_id=target.aws_cluster_id,
        aws_instance_id=target.aws_instance_id,
        aws_region=pick("aws_region", None),
        aws_profile=pick("aws_profile", None),
        iam_auth=pick("iam_auth", False),
        read_probe=pick("read_probe", True),
        timeout_seconds=float(pick("timeout_seconds", sample_seconds + DEFAULT_TIMEOUT_MARGIN)),
    )


def _quoted(value: str) -> str:
    """A libpq conninfo value, quoted when it holds a space, a quote or a backslash."""
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _folders(names: list[str]) -> dict[str, str]:
    """Each target's folder in --out, a function of its name alone (every shard, and every
    later edit of the file, agrees): the name itself when it is a safe lower-case file name,
    else a safe spelling plus 8 hex digits of the name's SHA-256 (so ``Orders`` and
    ``orders`` stay apart on a case-insensitive disk)."""
    folders: dict[str, str] = {}
    taken: dict[str, str] = {}
    for name in names:
        slug = _UNSAFE.sub("-", name).strip("-.")[:80]
        safe = slug == name and name == name.lower() and name not in RESERVED_FOLDERS
        folder = slug if safe else _hashed(slug, name)
        if folder.lower() in taken:
            raise FleetConfigError(
                f"targets {taken[folder.lower()]!r} and {name!r} would share the folder "
                f"{folder}: rename one"
            )
        taken[folder.lower()] = name
        folders[name] = folder
    return folders


def _hashed(slug: str, name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else f"target-{digest}"


def _describe(error: ErrorDetails, data: object) -> str:
    """One line for a validation error: the table, the key and what is wrong."""
    loc = [str(part) for part in error["loc"]]
    place, key, fields = _place(loc, data)
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, _Problem):
        return f"{place} {key}: {cause}".strip()
    if error["type"] == "extra_forbidden" and key.lower() in ("password", "passwd", "pgpassword"):
        return f"{place} {key}: {SECRETS_NEVER}".strip()
    return field_error(error, place, key, fields)


def _place(loc: list[str], data: object) -> tuple[str, str, list[str]]:
    """The table a location is in (a target by number and name), the key and its valid keys."""
    if loc and loc[0] == "defaults":
        return "[defaults]", ".".join(loc[1:]) or "(table)", list(Defaults.model_fields)
    if loc and loc[0] == "targets" and len(loc) > 1 and loc[1].isdigit():
        index = int(loc[1])
        place = f"[[targets]] #{index + 1}"
        targets = data.get("targets") if isinstance(data, dict) else None
        if isinstance(targets, list) and index < len(targets):
            name = targets[index].get("name") if isinstance(targets[index], dict) else None
            if isinstance(name, str):
                place += f" ({name!r})" if _CONTROL.search(name) else f" ({name})"
        return place, ".".join(loc[2:]) or "(table)", list(Target.model_fields)
    return "", loc[0] if loc else "(top level)", list(FleetFile.model_fields)
