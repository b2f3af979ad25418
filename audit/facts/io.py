"""Reading and writing facts.json, with a clear error for anything that is not one we can read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import ValidationError

from audit.facts.models import SCHEMA_VERSION, Facts
from audit.files import write_atomic


class FactsFileError(ValueError):
    """The facts file cannot be used; the message says why in one line."""


def dump_facts(facts: Facts) -> str:
    return facts.model_dump_json(indent=2) + "\n"


def write_facts(facts: Facts, path: Path) -> None:
    write_atomic(path, dump_facts(facts).encode())


def facts_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_facts(text: str, source: str = "facts") -> Facts:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactsFileError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from exc
    if not isinstance(raw, dict) or "schema_version" not in raw:
        raise FactsFileError(f"{source} is not a cdc-preflight facts document (no schema_version)")
    version = raw["schema_version"]
    if not isinstance(version, int):
        raise FactsFileError(f"{source} has a schema_version that is not an integer: {version!r}")
    if version > SCHEMA_VERSION:
        raise FactsFileError(
            f"{source} has schema_version {version}, newer than this cdc-preflight understands "
            f"({SCHEMA_VERSION}); upgrade cdc-preflight to analyze it"
        )
    if version < 1:
        raise FactsFileError(f"{source} has an unknown schema_version {version}")
    try:
        return Facts.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FactsFileError(
            f"{source} does not match the facts schema: {where}: {first['msg']}"
            f" ({exc.error_count()} error(s))"
        ) from exc


def read_facts(path: Path) -> Facts:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FactsFileError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise FactsFileError(f"{path} is not UTF-8 text") from exc
    return parse_facts(text, str(path))
