"""Reading and writing facts.json, with a clear error for anything that is not one we can read.

A facts file is untrusted input (it may come back from a customer): it is read only when it
is a regular file or a pipe no larger than :data:`MAX_FACTS_BYTES` (``CDC_PREFLIGHT_MAX_FACTS_MB``
overrides it), parsed as strict JSON (no NaN or Infinity, no number too large for a float,
nesting no deeper than :data:`MAX_DEPTH`) and accepted only with this tool's schema version.
Each refusal is a :class:`FactsFileError` with a one-line message.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from audit.compact import SharedFieldSets
from audit.facts.models import SCHEMA_VERSION, Facts, Table
from audit.files import write_atomic
from audit.gc_pause import paused_gc

MAX_FACTS_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 64  # a facts document nests about 8 levels deep
_READ_CHUNK = 1024 * 1024


class FactsFileError(ValueError):
    """The facts file cannot be used; the message says why in one line."""


def dump_facts(facts: Facts) -> str:
    return facts.model_dump_json(indent=2) + "\n"


def write_facts(facts: Facts, path: Path) -> None:
    write_atomic(path, dump_facts(facts).encode())


def facts_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def max_facts_bytes() -> int:
    value = os.environ.get("CDC_PREFLIGHT_MAX_FACTS_MB")
    if not value:
        return MAX_FACTS_BYTES
    try:
        megabytes = int(value)
    except ValueError:
        raise FactsFileError(
            f"CDC_PREFLIGHT_MAX_FACTS_MB must be a whole number of megabytes, not {value!r}"
        ) from None
    return max(megabytes, 1) * 1024 * 1024


def _not_finite(value: str) -> NoReturn:
    raise ValueError(f"{value} is not a finite number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        _not_finite(text[:20])
    return number


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` (iterative; stops at the first too deep)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def parse_facts(text: str, source: str = "facts") -> Facts:
    try:
        raw = json.loads(text, parse_constant=_not_finite, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise FactsFileError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from exc
    except RecursionError:
        raise FactsFileError(f"{source} nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # NaN, Infinity, 1e999, an integer of more than 4300 digits
        raise FactsFileError(f"{source} is not strict JSON: {str(exc)[:120]}") from None
    if not isinstance(raw, dict) or "schema_version" not in raw:
        raise FactsFileError(f"{source} is not a cdc-preflight facts document (no schema_version)")
    _check_version(raw["schema_version"], source)
    # the typed fields refuse a container where they expect none; only ``extra`` is free-form
    if _depth_exceeds(raw.get("extra") or {}, MAX_DEPTH - 1):
        raise FactsFileError(f"{source} nests deeper than {MAX_DEPTH} levels (in extra)")
    try:
        _validate_tables(raw.get("tables"))
        facts = Facts.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FactsFileError(
            f"{source} does not match the facts schema: {where}: {first['msg']}"
            f" ({exc.error_count()} error(s))"
        ) from exc
    return facts


def _validate_tables(rows: object) -> None:
    """Replace each table row of the parsed document by its model, row by row, the rows kept
    small (audit.compact): a file of 50,000 tables never holds all its rows twice.

    At the first invalid row it stops: validating the whole document then names every error,
    as if no row had been validated first (a validated row passes again unchanged)."""
    if not isinstance(rows, list):
        return
    shared = SharedFieldSets()
    for i, row in enumerate(rows):
        if isinstance(row, dict):
            try:
                table = Table.model_validate(row)
            except ValidationError:
                return
            shared.share(table)
            for column in (table.toastable_columns or []) + (table.special_columns or []):
                shared.share(column)
            rows[i] = table


def _check_version(version: object, source: str) -> None:
    if type(version) is not int:
        shown = json.dumps(version)[:40]
        raise FactsFileError(f"{source} has a schema_version that is not an integer: {shown}")
    if version > SCHEMA_VERSION:
        raise FactsFileError(
            f"{source} has schema_version {version}, newer than this cdc-preflight understands "
            f"({SCHEMA_VERSION}); upgrade cdc-preflight to analyze it"
        )
    if version != SCHEMA_VERSION:
        raise FactsFileError(
            f"{source} has an unknown schema_version {version} (this cdc-preflight reads "
            f"{SCHEMA_VERSION})"
        )


def read_facts_bytes(path: Path) -> bytes:
    """The bytes of ``path``, refused before reading when it is not a facts-sized file."""
    limit = max_facts_bytes()
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
                raise FactsFileError(f"{path} is not a regular file")
            if info.st_size > limit:
                raise FactsFileError(
                    f"{path} is {info.st_size / 2**20:,.0f} MB, more than the "
                    f"{limit / 2**20:,.0f} MB a facts file may have (CDC_PREFLIGHT_MAX_FACTS_MB)"
                )
            chunks: list[bytes] = []
            size = 0
            while chunk := handle.read(_READ_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FactsFileError(
                        f"{path} is larger than the {limit / 2**20:,.0f} MB a facts file may "
                        "have (CDC_PREFLIGHT_MAX_FACTS_MB)"
                    )
                chunks.append(chunk)
    except IsADirectoryError:
        raise FactsFileError(f"{path} is a directory, not a facts file") from None
    except OSError as exc:
        raise FactsFileError(f"cannot read {path}: {exc.strerror}") from None
    return b"".join(chunks)


@paused_gc()
def decode_facts(data: bytes, source: str) -> Facts:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FactsFileError(f"{source} is not UTF-8 text") from None
    return parse_facts(text, source)


def read_facts(path: Path) -> Facts:
    return decode_facts(read_facts_bytes(path), str(path))
