"""CDC113: row-level security makes the snapshot read only some rows, silently."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import Fix, note, sql
from rules._sql import quote_ident


@rule(
    code="CDC113",
    name="row-security-hides-rows",
    severity=Severity.HIGH,
    requires=("tables", "role"),
)
def row_security_hides_rows(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Row-level security makes the snapshot read only the rows the policies allow.

    ## What it checks
    Tables in scope with row-level security enabled, read by a role that is not a superuser,
    has no BYPASSRLS and does not own the table (directly or through membership). Tables
    with `FORCE ROW LEVEL SECURITY` are filtered even for their owner; the facts do not show
    that flag, so such tables may be missed, never falsely reported.

    ## Why it matters for CDC
    The snapshot (Debezium's initial and incremental snapshots, DMS full load, a
    subscription's initial copy) is a plain SELECT, and policies apply to it: rows the
    connector's role may not see are skipped without an error. Streaming is not filtered
    (logical decoding ignores policies), so the target ends up with later changes of rows it
    never received.

    ## How to fix
    Give the connector's role `BYPASSRLS` (a superuser runs `ALTER ROLE ... BYPASSRLS`), or a
    permissive policy for that role (`CREATE POLICY ... FOR SELECT TO ... USING (true)`).

    ## References
    - https://www.postgresql.org/docs/current/ddl-rowsecurity.html
    - https://www.postgresql.org/docs/current/sql-createpolicy.html
    - https://www.postgresql.org/docs/current/sql-alterrole.html
    """
    assert facts.role is not None
    role = facts.role
    if role.superuser or role.bypass_rls:
        return
    tables = facts.tables or []
    if tables and all(t.row_security is None for t in tables):
        raise NotEvaluated("row-level security of the tables was not collected")
    filtered = [
        t
        for t in tables
        if t.row_security and t.owner != role.name and t.owner not in role.member_of
    ]
    if not filtered:
        return
    if role.bypass_rls is None:
        raise NotEvaluated("whether the role has BYPASSRLS is unknown")
    names = [t.qualified_name for t in filtered]
    grantee = quote_ident(role.name)
    yield Finding(
        subject=f"role:{role.name}",
        message=(
            f"row-level security filters what role {role.name} reads from {len(names)} "
            f"table(s) ({', '.join(names[:5])}): their snapshot silently misses rows"
        ),
        evidence={"role": role.name, "bypass_rls": role.bypass_rls, "tables": names},
        fix=Fix.of(
            sql(f"ALTER ROLE {grantee} BYPASSRLS;  -- as a superuser", role=grantee),
            note("or, per table:"),
            *(
                sql(
                    f"CREATE POLICY cdc_snapshot ON {name} FOR SELECT TO {grantee} USING (true);",
                    table=name,
                    role=grantee,
                )
                for name in names
            ),
        ),
    )
