"""Which publication a connector reads, and which tables a publication publishes."""

from __future__ import annotations

from collections.abc import Iterable

from audit.engine import NotEvaluated, RuleContext
from audit.facts import Facts, Table, TableKind
from audit.facts.models import Publication


def connector_publication_name(ctx: RuleContext, code: str, configured: str | None) -> str:
    """Option ``publication``, else the profile's default; NotEvaluated when neither exists."""
    name = configured if configured is not None else ctx.profile.default_publication
    if name is None:
        raise NotEvaluated(
            f"the {ctx.profile.name} profile has no default publication: set publication "
            f"under [rules.{code}] to the one the consumer subscribes to"
        )
    return name


def find_publication(facts: Facts, name: str) -> Publication | None:
    return next((p for p in facts.publications or [] if p.name == name), None)


def publishes(publication: Publication, table: Table, tables: dict[str, Table]) -> bool:
    """``table`` (or the partitioned table it belongs to) is published by ``publication``."""
    if table.unlogged:
        return False
    if publication.all_tables:
        return True
    listed = {t.qualified_name for t in publication.tables}
    schemas = publication.schemas or []
    current: Table | None = table
    seen: set[str] = set()
    while current is not None and current.qualified_name not in seen:
        seen.add(current.qualified_name)
        if current.qualified_name in listed:
            return True
        if any(current.qualified_name.startswith(f"{schema}.") for schema in schemas):
            return True
        current = tables.get(current.parent) if current.parent else None
    return False


def captured(tables: Iterable[Table]) -> list[Table]:
    """Tables whose changes a connector should receive: logged, with storage."""
    return [t for t in tables if not t.unlogged and t.kind is not TableKind.PARTITIONED]
