"""Capture scope: which tables CDC will capture. Applied once, before the rules run.

Table rules judge only the tables in scope; instance-wide facts (settings, slots, the WAL
rate) are not scoped. A scope is a list of shell-style patterns on ``schema.table``
(unquoted names; a leading ``!`` excludes), or the member tables of a publication.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from audit.facts import Facts, Table
from audit.facts.models import Publication


class ScopeError(ValueError):
    """The scope cannot be applied; the message says why in one line."""


class Scope(BaseModel):
    """``[scope]`` in the configuration, or ``--tables`` / ``--publication``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tables: list[str] = Field(
        default_factory=list, description="patterns on schema.table; a leading ! excludes"
    )
    publication: str | None = Field(default=None, description="capture what it publishes")

    @property
    def everything(self) -> bool:
        return not self.tables and self.publication is None


@dataclass(frozen=True)
class ScopeSummary:
    """What the report says about the scope."""

    description: str
    in_scope: int | None
    total: int | None

    def as_dict(self) -> dict[str, object]:
        return {"description": self.description, "tables_in_scope": self.in_scope,
                "tables_total": self.total}  # fmt: skip


def parse_patterns(text: str | None) -> list[str]:
    """``--tables 'shop.*,!shop.session_cache'`` -> the list of patterns."""
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def apply_scope(facts: Facts, scope: Scope) -> tuple[Facts, ScopeSummary]:
    """The facts with only the tables in scope, and a summary for the report."""
    tables = facts.tables
    if scope.everything:
        return facts, ScopeSummary("every table", _count(tables), _count(tables))
    if tables is None:
        return facts, ScopeSummary(_describe(scope), None, None)
    chosen = [t for t in tables if _selected(t, scope, facts)]
    chosen_names = {t.qualified_name for t in chosen}
    # A partition belongs to the scope of its partitioned parent.
    chosen += [
        t for t in tables if t.parent in chosen_names and t.qualified_name not in chosen_names
    ]
    order = {t.qualified_name: i for i, t in enumerate(tables)}
    chosen.sort(key=lambda t: order[t.qualified_name])
    scoped = facts.model_copy(update={"tables": chosen})
    return scoped, ScopeSummary(_describe(scope), len(chosen), len(tables))


def _selected(table: Table, scope: Scope, facts: Facts) -> bool:
    if scope.publication is not None and not _published(table, _publication(facts, scope)):
        return False
    return _matches(f"{table.schema_name}.{table.name}", scope.tables)


def _matches(name: str, patterns: Sequence[str]) -> bool:
    includes = [p for p in patterns if not p.startswith("!")]
    excludes = [p[1:] for p in patterns if p.startswith("!")]
    included = not includes or any(fnmatch.fnmatchcase(name, p) for p in includes)
    return included and not any(fnmatch.fnmatchcase(name, p) for p in excludes)


def _publication(facts: Facts, scope: Scope) -> Publication:
    if facts.publications is None:
        raise ScopeError(
            f"the scope names publication {scope.publication!r}, but publications could not "
            "be collected; use --tables instead"
        )
    for publication in facts.publications:
        if publication.name == scope.publication:
            return publication
    names = ", ".join(p.name for p in facts.publications) or "none"
    raise ScopeError(
        f"publication {scope.publication!r} does not exist (publications: {names}); "
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
    parts = []
    if scope.publication is not None:
        parts.append(f"tables published by {scope.publication}")
    if scope.tables:
        parts.append("tables matching " + ", ".join(scope.tables))
    return "; ".join(parts)


def _count(tables: list[Table] | None) -> int | None:
    return None if tables is None else len(tables)
