"""CDC117: a LOB-typed primary key, or LOB columns on a table without a primary or unique key."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, Step, note, sql
from rules._dms import dms_columns
from rules._partitions import leaves_of


@rule(
    code="CDC117",
    name="dms-lob-keys",
    severity=Severity.HIGH,
    requires=("tables",),
    profiles=("dms",),
)
def dms_lob_keys(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A primary key of a LOB type, or LOB columns on a table with no primary or unique key.

    ## What it checks
    Per table (partitions under their parent), with the LOB types of AWS DMS (its mapping of
    PostgreSQL types: `text`, `bytea`, `json`, `jsonb`, `xml`, `tsvector`, `tsquery`, `path`,
    `polygon`, arrays, composite types and `hstore` become BLOB, CLOB or NCLOB):

    - a primary key column of a LOB type (for example a `text` key);
    - LOB columns on a table with neither a primary key nor a usable unique key (a unique,
      non-partial, immediate index on NOT NULL columns).

    These are the DMS premigration assessments "Validate if the source table primary key is of
    LOB Datatype" and "Source table with LOBs but without primary keys or unique constraints"
    (`table-with-lob-but-without-primary-key-or-unique-constraint`), read here from the
    catalog before any task exists.

    ## Why it matters for CDC
    DMS reads LOB values in a second step, looking the row up by its key: without a key it
    cannot migrate the LOBs at all, and a key that is itself a LOB cannot be used for that
    lookup. The rows arrive with empty LOB columns, or the table fails.

    ## How to fix
    Give the table a primary key (or a unique constraint on NOT NULL columns) of non-LOB
    columns; for a `text` key, `varchar(n)` with a length that fits the data makes it a
    string for DMS (`ALTER TABLE ... ALTER COLUMN ... TYPE varchar(n)` rewrites the table and
    its indexes under an ACCESS EXCLUSIVE lock: plan a window).

    ## References
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html#CHAP_Source-PostgreSQL-DataTypes
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.Assessments.All.html
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.LOBSupport.html
    """
    tables = facts.tables or []
    if tables and all(t.toastable_columns is None for t in tables):
        raise NotEvaluated("column types were not collected")
    for subject, group in leaves_of(facts).items():
        lob_keys: dict[str, dict[str, str]] = {}
        keyless: dict[str, list[str]] = {}
        for table in group:
            columns = dms_columns(table)
            if not columns.lob:
                continue
            key = {c: columns.lob[c] for c in table.primary_key or [] if c in columns.lob}
            if key:
                lob_keys[table.qualified_name] = key
            if not table.has_primary_key and not table.unique_candidates:
                keyless[table.qualified_name] = sorted(columns.lob)
        if not lob_keys and not keyless:
            continue
        parts = []
        if lob_keys:
            key_columns = {c: t for cs in lob_keys.values() for c, t in cs.items()}
            listed = ", ".join(f"{c} ({t})" for c, t in key_columns.items())
            parts.append(f"a primary key of LOB type: {listed}")
        if keyless:
            lobs = sorted({c for cs in keyless.values() for c in cs})
            parts.append(
                f"LOB column(s) {', '.join(lobs[:5])} and no primary or unique key: DMS cannot "
                "migrate its LOBs"
            )
        steps: list[Step] = [
            sql(f"ALTER TABLE {name} ADD PRIMARY KEY (<non-LOB key columns>);") for name in keyless
        ]
        steps.extend(
            note(
                f"{name}: key column(s) {', '.join(key)} are LOBs for DMS; give them a "
                "bounded type such as varchar(n), or key the table on other columns",
                ChangeWindow.COORDINATION,
                table=name,
            )
            for name, key in lob_keys.items()
        )
        yield Finding(
            subject=subject,
            message=f"{subject} has " + "; ".join(parts),
            evidence={"lob_primary_key": lob_keys, "lob_without_key": keyless},
            fix=Fix(steps=tuple(steps)),
        )
