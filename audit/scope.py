"""Capture scope: which tables CDC will capture. Applied once, before the rules run.

Table rules judge only the tables in scope; instance-wide facts (settings, slots, the WAL
rate) are not scoped. A scope is a list of table patterns, or the member tables of one
publication (not both: the two would contradict each other).

Patterns follow PostgreSQL's identifier rules, as ``psql``'s ``\\dt`` does: ``schema.table``,
each part an identifier; unquoted parts fold to lower case (``SHOP.Orders`` is
``shop.orders``) and may use the shell wildcards ``*`` and ``?``; a ``"Quoted"`` part keeps
its case and its characters literally. A leading ``!`` excludes. A bare word (``shop``) is a
usage error: which schema it lives in depends on a ``search_path`` the facts do not record,
so write ``shop.*`` (every table of schema shop) or ``*.shop`` (table shop in any schema).
A scope that matches no table is a usage error; a pattern that matched nothing while others
did is a warning in the report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from audit.facts import Facts, Table
from audit.facts.models import Publication
from audit.suggest import closest


class ScopeError(ValueError):
    """The scope is not usable as given (a usage error); the message says why in one line."""


@dataclass(frozen=True)
class TablePattern:
    """One parsed pattern: ``text`` as the user wrote it, matching ``schema`` and ``table``."""

    text: str
    exclude: bool
    schema: re.Pattern[str]
    table: re.Pattern[str]

    def matches(self, table: Table) -> bool:
        return bool(self.schema.fullmatch(table.schema_name) and self.table.fullmatch(table.name))


def parse_pattern(text: str) -> TablePattern:
    """``!Shop."Orders"`` -> a pattern excluding table ``Orders`` of schema ``shop``."""
    body = text.strip()
    exclude = body.startswith("!")
    if exclude:
        body = body[1:].strip()
    parts = _identifiers(text, body)
    if len(parts) == 1 and parts[0]:
        raise ScopeError(
            f"table pattern {text!r} has no schema: write {body}.* for every table of schema "
            f"{body}, or *.{body} for table {body} in any schema"
        )
    if len(parts) != 2 or not all(parts):
        raise ScopeError(f"table pattern {text!r} is not schema.table")
    return TablePattern(text.strip(), exclude, re.compile(parts[0]), re.compile(parts[1]))


def _identifiers(text: str, body: str) -> list[str]:
    """The dot-separated identifiers of ``body``, each as the source of a regular expression."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        i += 1
        if char == '"':
            literal: list[str] = []
            while True:
                if i >= len(body):
                    raise ScopeError(f"table pattern {text!r} has an unclosed double quote")
                if body[i] == '"' and body[i + 1 : i + 2] == '"':
                    literal.append('"')
                    i += 2
                elif body[i] == '"':
                    i += 1
                    break
                else:
                    literal.append(body[i])
                    i += 1
            current.append(re.escape("".join(literal)))
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(_WILDCARDS.get(char) or re.escape(char.lower()))
    parts.append("".join(current))
    return parts


_WILDCARDS = {"*": ".*", "?": "."}


class Scope(BaseModel):
    """``[scope]`` in the configuration, or ``--tables`` / ``--publication``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tables: list[str] = Field(
        default_factory=list,
        description="patterns on schema.table (PostgreSQL identifier rules); a leading ! excludes",
    )
    publication: str | None = Field(default=None, description="capture what it publishes")

    @field_validator("tables")
    @classmethod
    def _patterns_parse(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_pattern(text)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Scope:
        if self.tables and self.publication is not None:
            raise ScopeError(
                "name the tables or a publication, not both: the publication already says "
                "which tables CDC captures"
            )
        return self

    @property
    def everything(self) -> bool:
        return not self.tables and self.publication is None

    def patterns(self) -> list[TablePattern]:
        return [parse_pattern(text) for text in self.tables]


def scope_from_options(tables: str | None, publication: str | None) -> Scope:
    """The scope of ``--tables`` and ``--publication``; ScopeError when they are unusable."""
    try:
        return Scope(tables=parse_patterns(tables), publication=publication)
    except ValidationError as exc:
        cause = exc.errors()[0].get("ctx", {}).get("error")
        raise ScopeError(f"--tables/--publication: {cause or exc}") from None


@dataclass(frozen=True)
class ScopeSummary:
    """What the report says about the scope."""

    description: str
    in_scope: int | None
    total: int | None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"description": self.description, "tables_in_scope": self.in_scope,
                "tables_total": self.total, "warnings": self.warnings}  # fmt: skip


def parse_patterns(text: str | None) -> list[str]:
    """``--tables 'shop.*,!shop.session_cache'`` -> the list of patterns (commas inside
    double quotes belong to the identifier)."""
    patterns: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text or "":
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            patterns.append("".join(current))
            current = []
        else:
            current.append(char)
    patterns.append("".join(current))
    return [p.strip() for p in patterns if p.strip()]


def apply_scope(facts: Facts, scope: Scope) -> tuple[Facts, ScopeSummary]:
    """The facts with only the tables in scope, and a summary for the report.

    ScopeError when the scope matches no table at all (a usage error)."""
    tables = facts.tables
    if scope.everything:
        return facts, ScopeSummary("every table", _count(tables), _count(tables))
    if tables is None:
        return facts, ScopeSummary(_describe(scope), None, None)
    if scope.publication is not None:
        publication = _publication(facts, scope.publication)
        direct = [t for t in tables if _published(t, publication)]
        warnings: list[str] = []
    else:
        patterns = scope.patterns()
        direct = [t for t in tables if _matches(t, patterns)]
        warnings = _unmatched(patterns, tables)
    if tables and not direct:
        raise ScopeError(_nothing_matched(scope, tables))
    chosen = _with_partitions(direct, tables)
    scoped = facts.model_copy(update={"tables": chosen})
    return scoped, ScopeSummary(_describe(scope), len(chosen), len(tables), warnings)


def _with_partitions(direct: list[Table], tables: list[Table]) -> list[Table]:
    """A partition belongs to the scope of its partitioned parent; keeps the facts' order."""
    names = {t.qualified_name for t in direct}
    added = True
    while added:
        more = {t.qualified_name for t in tables if t.parent in names} - names
        names |= more
        added = bool(more)
    return [t for t in tables if t.qualified_name in names]


def _matches(table: Table, patterns: Sequence[TablePattern]) -> bool:
    includes = [p for p in patterns if not p.exclude]
    excludes = [p for p in patterns if p.exclude]
    included = not includes or any(p.matches(table) for p in includes)
    return included and not any(p.matches(table) for p in excludes)


def _unmatched(patterns: Sequence[TablePattern], tables: Sequence[Table]) -> list[str]:
    """A warning for each pattern that matched no table: the scope is smaller (or larger)
    than the patterns suggest."""
    warnings = []
    for pattern in patterns:
        if any(pattern.matches(t) for t in tables):
            continue
        what = "excluded" if pattern.exclude else "matched"
        warnings.append(
            f"pattern {pattern.text} {what} no table{_closest_table(pattern.text, tables)}"
        )
    return warnings


def _nothing_matched(scope: Scope, tables: Sequence[Table]) -> str:
    if scope.publication is not None:
        return (
            f"publication {scope.publication} publishes none of the {len(tables)} tables: "
            "use --tables to name the tables CDC will capture"
        )
    includes = [p.text for p in scope.patterns() if not p.exclude]
    first = includes[0] if includes else ", ".join(scope.tables)
    return (
        f"table patterns {', '.join(scope.tables)} match none of the {len(tables)} tables"
        f"{_closest_table(first, tables)}"
    )


def _closest_table(text: str, tables: Sequence[Table]) -> str:
    candidates = {f"{t.schema_name}.{t.name}" for t in tables}
    candidates |= {f"{t.schema_name}.*" for t in tables} | {f"*.{t.name}" for t in tables}
    return closest(text.lstrip("!").replace('"', ""), sorted(candidates))


def _publication(facts: Facts, name: str) -> Publication:
    if facts.publications is None:
        raise ScopeError(
            f"the scope names publication {name!r}, but publications could not "
            "be collected; use --tables instead"
        )
    for publication in facts.publications:
        if publication.name == name:
            return publication
    names = ", ".join(p.name for p in facts.publications) or "none"
    raise ScopeError(
        f"publication {name!r} does not exist (publications: {names}); "
        "use --tables to name the tables CDC will capture"
    )


def _published(table: Table, publication: Publication) -> bool:
    if publication.all_tables:
        return True
    members = {m.qualified_name for m in publication.tables}
    if table.qualified_name in members or (table.parent is not None and table.parent in members):
        return True
    return table.schema_name in {_unquote(s) for s in publication.schemas or []}


def _unquote(identifier: str) -> str:
    if len(identifier) >= 2 and identifier.startswith('"') and identifier.endswith('"'):
        return identifier[1:-1].replace('""', '"')
    return identifier


def _describe(scope: Scope) -> str:
    if scope.publication is not None:
        return f"tables published by {scope.publication}"
    return "tables matching " + ", ".join(scope.tables)


def _count(tables: list[Table] | None) -> int | None:
    return None if tables is None else len(tables)
