"""CDC116: columns AWS DMS does not migrate, and ARRAY columns on a table without a primary key."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts, Table
from audit.remedy import ChangeWindow, Fix, Step, note, sql
from rules._dms import UNSUPPORTED_KINDS, UNSUPPORTED_TYPES, base_name
from rules._partitions import leaves_of


def unsupported_columns(table: Table) -> dict[str, str]:
    """Columns of a type the DMS table of PostgreSQL types marks "doesn't migrate"."""
    found: dict[str, str] = {}
    for column in table.special_columns or []:
        name = base_name(column.type)
        if "array" in column.kinds:
            continue  # arrays migrate (as NCLOB), whatever their element type
        if name in UNSUPPORTED_TYPES or any(k in UNSUPPORTED_KINDS for k in column.kinds):
            found[column.name] = column.type
    return found


def array_columns(table: Table) -> list[str]:
    return [c.name for c in table.special_columns or [] if "array" in c.kinds]


@rule(
    code="CDC116",
    name="dms-unsupported-columns",
    severity=Severity.HIGH,
    requires=("tables",),
    profiles=("dms",),
)
def dms_unsupported_columns(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Columns AWS DMS does not migrate, or ARRAY columns on a table without a primary key.

    ## What it checks
    Per table (partitions under their parent), from the collector's column types:

    - columns whose type the AWS DMS table of PostgreSQL source types marks as "doesn't
      migrate": `enum` types, `inet`, `macaddr`, `tsvector`, `tsquery`, the geometric `line`,
      `lseg`, `box`, `path` and `circle`, composite types and range types (arrays of them are
      not listed: DMS carries arrays as text);
    - ARRAY columns on a table without a primary key: DMS requires one and suspends such a
      table during full load.

    Domains are not looked through (a domain over `inet` is not flagged). The DMS premigration
    assessments "Unsupported data types" (`unsupported-data-types-in-source`) and "Validate if
    there are tables with ARRAY data type without a primary key" check the same, but only once
    a DMS task exists.

    ## Why it matters for CDC
    An unsupported column is left out or the table fails to load; a suspended table never
    reaches the target and its changes are not applied. Both are found by the task, after the
    replication slot exists and WAL is already being retained for it.

    ## How to fix
    Give the table a primary key (`ALTER TABLE ... ADD PRIMARY KEY`). For unsupported types,
    exclude the column with a DMS transformation rule and carry it some other way, or change
    it to a type DMS migrates (for example `inet` to `text` or `cidr`, an enum to `text` with
    a check constraint) on the source, or in a view for full load only.

    ## References
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html#CHAP_Source-PostgreSQL-DataTypes
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html#CHAP_Source.PostgreSQL.Limitations
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.Assessments.All.html
    """
    tables = facts.tables or []
    if tables and all(t.special_columns is None for t in tables):
        raise NotEvaluated("column types were not collected")
    for subject, group in leaves_of(facts).items():
        unsupported: dict[str, str] = {}
        arrays_without_key: dict[str, list[str]] = {}
        for table in group:
            unsupported.update(unsupported_columns(table))
            arrays = array_columns(table)
            if arrays and not table.has_primary_key:
                arrays_without_key[table.qualified_name] = arrays
        if not unsupported and not arrays_without_key:
            continue
        parts = []
        if unsupported:
            listed = ", ".join(f"{n} ({t})" for n, t in list(unsupported.items())[:5])
            parts.append(f"column(s) DMS does not migrate: {listed}")
        if arrays_without_key:
            columns = sorted({c for cs in arrays_without_key.values() for c in cs})
            parts.append(
                f"ARRAY column(s) {', '.join(columns[:5])} without a primary key: DMS suspends "
                "the table during full load"
            )
        steps: list[Step] = [
            sql(f"ALTER TABLE {name} ADD PRIMARY KEY (<key columns>);", ChangeWindow.COORDINATION)
            for name in arrays_without_key
        ]
        if unsupported:
            steps.append(
                note(
                    f"exclude or convert {', '.join(unsupported)}: a DMS transformation rule "
                    "(remove-column) or a type DMS migrates",
                    ChangeWindow.COORDINATION,
                    columns=unsupported,
                )
            )
        yield Finding(
            subject=subject,
            message=f"{subject} has " + "; ".join(parts),
            evidence={"unsupported": unsupported, "arrays_without_primary_key": arrays_without_key},
            fix=Fix(steps=tuple(steps)),
        )
