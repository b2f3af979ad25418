"""CDC119: table names that differ only in case, which AWS DMS does not support."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note, sql


@rule(
    code="CDC119",
    name="dms-case-colliding-names",
    severity=Severity.HIGH,
    requires=("tables",),
    profiles=("dms",),
)
def dms_case_colliding_names(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Tables whose qualified names differ only in letter case.

    ## What it checks
    Every table in scope (partitions included), grouped by its schema and table name folded
    to lower case: a group with more than one table (`public.orders`, `public."Orders"`,
    `"Public".orders`) is one finding. This is the DMS premigration assessment "Validate if
    tables with similar names exist".

    ## Why it matters for CDC
    PostgreSQL keeps quoted names apart, but AWS DMS does not support replicating tables whose
    names differ only in case: its documentation calls the behaviour unpredictable. Changes of
    one table can land in the other on the target, or one of them is skipped.

    ## How to fix
    Rename all but one of the tables (`ALTER TABLE ... RENAME TO ...` takes an ACCESS
    EXCLUSIVE lock briefly and breaks whatever refers to the old name), or leave all but one
    out of the DMS task's table mappings and copy the others another way.

    ## References
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html#CHAP_Source.PostgreSQL.Limitations
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    - https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for table in facts.tables or []:
        key = (table.schema_name.lower(), table.name.lower())
        groups.setdefault(key, []).append(table.qualified_name)
    for (schema, name), names in sorted(groups.items()):
        if len(names) < 2:
            continue
        members = sorted(names)
        keep, *others = members
        yield Finding(
            subject=f"tables:{schema}.{name}",
            message=(
                f"{len(members)} tables differ only in case ({', '.join(members)}): AWS DMS "
                "does not support replicating them side by side"
            ),
            evidence={"tables": members},
            fix=Fix.of(
                *(
                    sql(
                        f"ALTER TABLE {other} RENAME TO <new_name>;",
                        ChangeWindow.COORDINATION,
                        table=other,
                    )
                    for other in others
                ),
                note(f"or keep only {keep} in the DMS task's table mappings"),
            ),
        )
