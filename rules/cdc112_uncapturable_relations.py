"""CDC112: materialized views and foreign tables in scope are never captured."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import Fix, note

KIND_NAMES = {"materialized_view": "materialized view", "foreign_table": "foreign table"}


@rule(
    code="CDC112",
    name="uncapturable-relations",
    severity=Severity.LOW,
    requires=("other_relations",),
)
def uncapturable_relations(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Materialized views and foreign tables in scope are never captured.

    ## What it checks
    Materialized views and foreign tables in the audit's scope, reported together.

    ## Why it matters for CDC
    Publications accept only tables: a materialized view's `REFRESH` and a foreign table's
    rows (stored on another server) produce no change events, and `FOR ALL TABLES` skips
    them. A target that expects them stays empty or stale, without an error.

    ## How to fix
    Capture the base tables the view is computed from and rebuild the view downstream;
    capture a foreign table on the server that stores it. Narrow the audit's scope if they
    are not wanted downstream.

    ## References
    - https://www.postgresql.org/docs/current/logical-replication-restrictions.html
    - https://www.postgresql.org/docs/current/sql-creatematerializedview.html
    - https://www.postgresql.org/docs/current/sql-createforeigntable.html
    """
    relations = facts.other_relations or []
    if not relations:
        return
    listed = ", ".join(
        f"{r.qualified_name} ({KIND_NAMES.get(r.kind, r.kind)})" for r in relations[:5]
    )
    more = f" and {len(relations) - 5} more" if len(relations) > 5 else ""
    yield Finding(
        subject="scope:uncapturable",
        message=f"{len(relations)} relation(s) in scope are never captured: {listed}{more}",
        evidence={"relations": {r.qualified_name: r.kind for r in relations}},
        fix=Fix.of(
            note(
                "capture the base tables and rebuild these downstream, or remove them from the "
                "audit's scope"
            )
        ),
    )
