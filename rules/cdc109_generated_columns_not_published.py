"""CDC109: stored generated columns are not in the change stream."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts, Table
from audit.facts.models import Publication
from audit.remedy import ChangeWindow, Fix, note, sql
from rules._partitions import leaves_of
from rules._publications import publishes
from rules._sql import quote_ident

FIRST_MAJOR_PUBLISHING = 18


@rule(
    code="CDC109",
    name="generated-columns-not-published",
    severity=Severity.MEDIUM,
    requires=("server", "tables"),
    profiles=("debezium", "dms", "generic"),
)
def generated_columns_not_published(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Stored generated columns are left out of the change stream.

    ## What it checks
    Tables (partitions under their parent) with stored generated columns
    (`GENERATED ALWAYS AS ... STORED`), unless every publication that publishes the table
    sends them: on PostgreSQL 18+, with `publish_generated_columns = stored` or a column list
    that names them. Native subscriptions are not
    judged: the subscriber computes generated columns from its own definition.

    ## Why it matters for CDC
    pgoutput does not send generated columns before PostgreSQL 18, and from 18 on only when
    the publication asks for them. The snapshot reads them with SELECT, the stream does not
    carry them: rows snapshotted and rows changed later disagree downstream, and a sink that
    writes whole rows stores NULL for the column.

    ## How to fix
    On PostgreSQL 18+, `ALTER PUBLICATION ... SET (publish_generated_columns = stored)`.
    Before 18, compute the column downstream from the columns it is generated from.

    ## References
    - https://www.postgresql.org/docs/current/ddl-generated-columns.html
    - https://www.postgresql.org/docs/18/sql-createpublication.html#SQL-CREATEPUBLICATION-PARAMS-WITH-PUBLISH-GENERATED-COLUMNS
    - https://www.postgresql.org/docs/18/logical-replication-gencols.html
    """
    assert facts.server is not None
    tables = facts.tables or []
    if tables and all(t.generated_columns is None for t in tables):
        raise NotEvaluated("generated columns were not collected")
    by_name = {t.qualified_name: t for t in tables}
    modern = facts.server.major >= FIRST_MAJOR_PUBLISHING
    for subject, group in leaves_of(facts).items():
        columns = sorted({c for t in group for c in t.generated_columns or []})
        if not columns:
            continue
        publications = [
            p for p in facts.publications or [] if any(publishes(p, t, by_name) for t in group)
        ]
        if publications and all(_sends(p, group, columns, modern) for p in publications):
            continue
        if modern and publications:
            fix = Fix(
                steps=tuple(
                    sql(
                        f"ALTER PUBLICATION {quote_ident(p.name)} "
                        "SET (publish_generated_columns = stored);",
                        ChangeWindow.COORDINATION,
                        publication=p.name,
                    )
                    for p in publications
                    if p.generated_columns != "s"
                )
            )
        elif modern:
            fix = Fix.of(note("create the publication WITH (publish_generated_columns = stored)"))
        else:
            fix = Fix.of(
                note(
                    f"compute {', '.join(columns)} downstream, or upgrade to PostgreSQL 18 and "
                    "publish them (publish_generated_columns = stored)",
                    ChangeWindow.COORDINATION,
                    columns=columns,
                )
            )
        yield Finding(
            subject=subject,
            message=(
                f"{subject} has generated column(s) {', '.join(columns)}: the change stream "
                "leaves them out"
            ),
            evidence={
                "generated_columns": columns,
                "publications": {p.name: p.generated_columns for p in publications},
                "version_num": facts.server.version_num,
            },
            fix=fix,
        )


def _sends(
    publication: Publication, group: Sequence[Table], columns: list[str], modern: bool
) -> bool:
    if not modern:
        return False
    if publication.generated_columns == "s":
        return True
    names = {t.qualified_name for t in group}
    lists = [e.columns for e in publication.tables if e.qualified_name in names]
    return bool(lists) and all(c is not None and set(columns) <= set(c) for c in lists)
