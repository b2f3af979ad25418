"""CDC107: a table that replicates without a primary key gives Debezium events without a key."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts, Table
from audit.remedy import ChangeWindow, Fix, Step, sql
from rules._identity import identity_problem
from rules._partitions import leaves_of
from rules._stats import counters_off


@rule(
    code="CDC107",
    name="table-without-primary-key",
    severity=Severity.MEDIUM,
    requires=("tables",),
    profiles=("debezium",),
)
def table_without_primary_key(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Table has a usable replica identity but no primary key: its Debezium events have no key.

    ## What it checks
    Tables (leaf partitions under their parent) with no primary key whose replica identity
    still works: `REPLICA IDENTITY FULL`, or `USING INDEX` on a valid unique index. Tables
    with no usable identity at all are CDC101's, and one fix (a primary key) solves both.
    Insert-only tables (no UPDATE or DELETE since statistics reset) are low.

    ## Why it matters for CDC
    Debezium keys each change event by the table's primary key. Without one the key is null
    (unless `message.key.columns` names key columns): Kafka spreads the row's events over
    partitions, so their order is lost, log compaction cannot keep the latest version, and
    deletes produce no tombstone a sink can use. Incremental snapshots chunk tables by their
    primary key and need a `surrogate-key` for such tables.

    ## How to fix
    Promote the unique index to the primary key when there is one (`ALTER TABLE ... ADD
    PRIMARY KEY USING INDEX ...`, no table rewrite; the index is renamed after the
    constraint), otherwise add a primary key; or set `message.key.columns` for the table in the
    connector configuration.

    ## References
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-message-key-columns
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-incremental-snapshots
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT-USING-INDEX
    """
    for subject, group in leaves_of(facts).items():
        keyless = [t for t in group if not t.has_primary_key and identity_problem(t) is None]
        if not keyless:
            continue
        insert_only = not counters_off(facts) and all(
            t.n_tup_upd == 0 and t.n_tup_del == 0 for t in keyless
        )
        names = [t.qualified_name for t in keyless]
        what = subject if names == [subject] else f"{subject} ({len(names)} partitions)"
        identities = sorted({t.replica_identity.value for t in keyless})
        yield Finding(
            subject=subject,
            message=(
                f"{what} has no primary key (REPLICA IDENTITY {', '.join(identities).upper()}): "
                "its change events have a null key"
            ),
            evidence={
                "tables": names,
                "replica_identity": identities,
                "unique_candidates": {t.qualified_name: t.unique_candidates for t in keyless},
                "n_tup_upd": sum(t.n_tup_upd or 0 for t in keyless),
                "n_tup_del": sum(t.n_tup_del or 0 for t in keyless),
            },
            fix=Fix(steps=tuple(_fix(t) for t in keyless)),
            severity=Severity.LOW if insert_only else None,
        )


def _fix(table: Table) -> Step:
    name = table.qualified_name
    if table.unique_candidates:
        return sql(
            f"ALTER TABLE {name} ADD PRIMARY KEY USING INDEX {table.unique_candidates[0]};",
            ChangeWindow.COORDINATION,
            table=name,
            index=table.unique_candidates[0],
        )
    return sql(
        f"ALTER TABLE {name} ADD PRIMARY KEY (<key columns>);"
        "  -- or message.key.columns in the connector",
        ChangeWindow.COORDINATION,
        table=name,
    )
