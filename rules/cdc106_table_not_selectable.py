"""CDC106: the auditing role cannot SELECT tables in scope, so their snapshot fails."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts, Table, TableKind
from audit.remedy import Fix, sql
from rules._sql import quote_ident


@rule(
    code="CDC106",
    name="table-not-selectable",
    severity=Severity.CRITICAL,
    requires=("tables",),
)
def table_not_selectable(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The role cannot SELECT tables in scope: the initial snapshot of those tables fails.

    ## What it checks
    `has_table_privilege(table, 'SELECT')` for the auditing role, for every table in scope,
    reported once per schema. Partitioned parents have no rows of their own and are not
    judged; a partition is not reported when its parent is selectable, since the snapshot can
    read it through the parent. The rule speaks for the role that ran the audit;
    run the audit as the connector's role for the answer that matters.

    ## Why it matters for CDC
    Every connector reads the existing rows with plain SELECTs (Debezium's initial and
    incremental snapshots, DMS full load, the table-sync workers of native subscriptions).
    Without the privilege the snapshot stops with "permission denied for table", after the
    slot was created: WAL piles up behind the failed connector until someone notices.

    ## How to fix
    Grant SELECT on the tables (and USAGE on their schema) to the connector's role. Consider
    `ALTER DEFAULT PRIVILEGES ... GRANT SELECT ON TABLES` so that tables created later are
    readable too.

    ## References
    - https://www.postgresql.org/docs/current/sql-grant.html
    - https://www.postgresql.org/docs/current/sql-alterdefaultprivileges.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-permissions
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html
    """
    tables = facts.tables or []
    selectable = {t.qualified_name: t.can_select for t in tables}
    role = facts.role.name if facts.role else (facts.server.current_user if facts.server else None)
    grantee = quote_ident(role) if role else "<connector role>"
    by_schema: dict[str, list[Table]] = {}
    unknown = []
    for table in tables:
        if table.kind is TableKind.PARTITIONED:
            continue
        if table.can_select is None:
            unknown.append(table.qualified_name)
        elif not table.can_select and not (table.parent and selectable.get(table.parent)):
            by_schema.setdefault(table.schema_name, []).append(table)
    if unknown and not by_schema:
        raise NotEvaluated(f"SELECT privilege unknown for {len(unknown)} table(s)")
    for schema, denied in sorted(by_schema.items()):
        names = [t.qualified_name for t in denied]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        yield Finding(
            subject=f"schema:{schema}",
            message=(
                f"{role or 'the auditing role'} cannot SELECT {len(names)} table(s) in schema "
                f"{schema}: {shown}"
            ),
            evidence={"role": role, "tables": names},
            fix=Fix.of(
                sql(
                    f"GRANT USAGE ON SCHEMA {quote_ident(schema)} TO {grantee};",
                    schema=schema,
                    role=grantee,
                ),
                sql(
                    f"GRANT SELECT ON {', '.join(names)} TO {grantee};",
                    tables=names,
                    role=grantee,
                ),
            ),
        )
