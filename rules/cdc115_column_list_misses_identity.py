"""CDC115: a publication's column list leaves out replica identity columns."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts, ReplicaIdentity
from audit.remedy import ChangeWindow, Fix, sql
from rules._sql import quote_ident


@rule(
    code="CDC115",
    name="column-list-misses-identity",
    severity=Severity.CRITICAL,
    requires=("publications", "tables"),
)
def column_list_misses_identity(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A publication's column list leaves out replica identity columns: UPDATE and DELETE fail.

    ## What it checks
    Publications (PostgreSQL 15+) that publish UPDATE or DELETE for a table with a column
    list. The list must contain every replica identity column: the primary key columns for
    `REPLICA IDENTITY DEFAULT`, every column for `FULL`. `USING INDEX` tables are skipped
    (the facts do not name the index's columns), and so are row filters, which must likewise
    use identity columns only.

    ## Why it matters for CDC
    PostgreSQL checks this at the source, on every UPDATE and DELETE: "cannot update table
    ... Column list used by the publication does not cover the replica identity". Creating
    the publication succeeds; the application's writes fail afterwards.

    ## How to fix
    Add the missing identity columns to the column list: drop the table from the
    publication and add it back with the longer list in one transaction (`ALTER PUBLICATION
    ... SET TABLE` would replace the publication's whole table list), or publish only inserts
    for that table.

    ## References
    - https://www.postgresql.org/docs/current/logical-replication-col-lists.html
    - https://www.postgresql.org/docs/current/sql-alterpublication.html
    """
    tables = {t.qualified_name: t for t in facts.tables or []}
    for publication in facts.publications or []:
        if not (publication.update or publication.delete):
            continue
        for entry in publication.tables:
            table = tables.get(entry.qualified_name)
            if entry.columns is None or table is None:
                continue
            if table.replica_identity is ReplicaIdentity.DEFAULT and table.primary_key:
                missing = [c for c in table.primary_key if c not in entry.columns]
                needs = f"primary key column(s) {', '.join(missing)}"
            elif table.replica_identity is ReplicaIdentity.FULL and table.column_count:
                short = table.column_count - len(entry.columns)
                missing = ["<all columns>"] if short > 0 else []
                needs = f"{short} column(s) of the REPLICA IDENTITY FULL row"
            else:
                continue
            if not missing:
                continue
            columns = list(entry.columns) + [c for c in table.primary_key or [] if c in missing]
            listed = ", ".join(quote_ident(c) for c in columns)
            if missing == ["<all columns>"]:
                listed += ", <the remaining columns>"
            where = f" WHERE ({entry.row_filter})" if entry.row_filter else ""
            pub = quote_ident(publication.name)
            yield Finding(
                subject=f"publication:{publication.name}/{entry.qualified_name}",
                message=(
                    f"publication {publication.name} lists columns of {entry.qualified_name} "
                    f"without {needs}: UPDATE and DELETE on the table fail"
                ),
                evidence={
                    "publication": publication.name,
                    "table": entry.qualified_name,
                    "columns": entry.columns,
                    "row_filter": entry.row_filter,
                    "replica_identity": table.replica_identity.value,
                    "primary_key": table.primary_key,
                    "column_count": table.column_count,
                },
                fix=Fix.of(
                    sql(
                        "BEGIN;\n"
                        f"ALTER PUBLICATION {pub} DROP TABLE {entry.qualified_name};\n"
                        f"ALTER PUBLICATION {pub} ADD TABLE {entry.qualified_name} "
                        f"({listed}){where};\n"
                        "COMMIT;",
                        ChangeWindow.COORDINATION,
                        publication=pub,
                        table=entry.qualified_name,
                        columns=listed,
                    )
                ),
            )
