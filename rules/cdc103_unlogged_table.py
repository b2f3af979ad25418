"""CDC103: unlogged table in scope: its changes never reach WAL, so CDC never sees them."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, sql
from rules._partitions import leaves_of
from rules._units import fmt_bytes


@rule(
    code="CDC103",
    name="unlogged-table",
    severity=Severity.HIGH,
    requires=("tables",),
)
def unlogged_table(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Unlogged table in scope: its changes are never written to WAL, so CDC never sees them.

    ## What it checks
    Tables in the audit's scope created `UNLOGGED` (`relpersistence = 'u'`); partitions are
    reported under their parent. Exclude a table from the scope (or waive the finding) when it
    is a cache that nobody expects downstream.

    ## Why it matters for CDC
    Logical decoding reads WAL, and unlogged tables write none. `CREATE PUBLICATION ... FOR
    TABLE` refuses them ("cannot add relation to publication"), `FOR ALL TABLES` skips them
    silently, and Debezium's snapshot copies their rows but no change ever follows: the
    target drifts from the source without an error. An unlogged table is also truncated after
    a crash, and that truncation is not replicated either.

    ## How to fix
    `ALTER TABLE ... SET LOGGED` (rewrites the table and writes it all to WAL once: plan for
    the I/O and the WAL volume), or remove the table from the capture scope.

    ## References
    - https://www.postgresql.org/docs/current/sql-createtable.html#SQL-CREATETABLE-UNLOGGED
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-LOGGED-UNLOGGED
    - https://www.postgresql.org/docs/current/logical-replication-restrictions.html
    """
    for subject, group in leaves_of(facts).items():
        unlogged = [t for t in group if t.unlogged]
        if not unlogged:
            continue
        size = sum(t.total_bytes or 0 for t in unlogged)
        names = [t.qualified_name for t in unlogged]
        what = subject if names == [subject] else f"{subject} ({len(names)} unlogged partitions)"
        yield Finding(
            subject=subject,
            message=f"{what} is unlogged ({fmt_bytes(size)}): its changes never reach CDC",
            evidence={"unlogged": names, "total_bytes": size},
            fix=Fix(
                steps=tuple(
                    sql(f"ALTER TABLE {name} SET LOGGED;", ChangeWindow.COORDINATION, table=name)
                    for name in names
                )
            ),
        )
