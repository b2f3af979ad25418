"""CDC114: a publication sends changes of partitioned tables under their partitions' names."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts, Table, TableKind
from audit.remedy import Fix, sql
from rules._publications import publishes
from rules._sql import quote_ident


@rule(
    code="CDC114",
    name="partitions-published-by-leaf",
    severity=Severity.MEDIUM,
    requires=("publications", "tables"),
    profiles=("debezium",),
)
def partitions_published_by_leaf(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A publication sends the changes of partitioned tables under their partitions' names.

    ## What it checks
    Publications that publish a partitioned table in scope (by name, by schema or `FOR ALL
    TABLES`) without `publish_via_partition_root = true`. One finding per publication.
    Without the option, `pg_publication_tables` lists a partitioned table named in `FOR TABLE`
    by its partitions (observed on PostgreSQL 15 and 18), so a listed partition counts as its
    partitioned table being published.

    ## Why it matters for CDC
    Without the option, pgoutput reports each change under the leaf partition that holds the
    row (`public.events_2026_11`), not under the partitioned table. Debezium then writes one
    topic per partition, a new partition means a new topic, and a `table.include.list` that
    names only the partitioned table filters the partitions' changes out entirely. With the
    option, every change arrives as the partitioned table, with its schema.

    ## How to fix
    `ALTER PUBLICATION ... SET (publish_via_partition_root = true)` (PostgreSQL 13+), then
    restart the connector. Partitions' own TRUNCATEs are not replicated in this mode.

    ## References
    - https://www.postgresql.org/docs/current/sql-createpublication.html#SQL-CREATEPUBLICATION-PARAMS-WITH-PUBLISH-VIA-PARTITION-ROOT
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-publication-autocreate-mode
    - https://www.postgresql.org/docs/current/logical-replication-publication.html
    """
    tables = facts.tables or []
    by_name = {t.qualified_name: t for t in tables}
    roots = [t for t in tables if t.kind is TableKind.PARTITIONED and t.parent is None]
    for publication in facts.publications or []:
        if publication.via_root is not False:
            continue
        via_partition = {
            _root(t, by_name).qualified_name
            for t in tables
            if t.parent and publishes(publication, t, by_name)
        }
        published = [
            t
            for t in roots
            if t.qualified_name in via_partition or publishes(publication, t, by_name)
        ]
        if not published:
            continue
        names = [t.qualified_name for t in published]
        yield Finding(
            subject=f"publication:{publication.name}",
            message=(
                f"publication {publication.name} publishes {len(names)} partitioned table(s) "
                f"({', '.join(names[:5])}) under their partitions' names"
            ),
            evidence={
                "publication": publication.name,
                "publish_via_partition_root": publication.via_root,
                "partitioned_tables": names,
            },
            fix=Fix.of(
                sql(
                    f"ALTER PUBLICATION {quote_ident(publication.name)} "
                    "SET (publish_via_partition_root = true);",
                    publication=publication.name,
                )
            ),
        )


def _root(table: Table, by_name: dict[str, Table]) -> Table:
    """The partitioned table at the top of ``table``'s partition tree (itself if none)."""
    seen = {table.qualified_name}
    while table.parent and table.parent in by_name and table.parent not in seen:
        table = by_name[table.parent]
        seen.add(table.qualified_name)
    return table
