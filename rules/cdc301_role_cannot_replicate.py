"""CDC301: the role may not create replication slots or stream changes."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import Fix, sql
from rules._sql import quote_ident

RDS_REPLICATION_ROLE = "rds_replication"


@rule(
    code="CDC301",
    name="role-cannot-replicate",
    severity=Severity.CRITICAL,
    requires=("server", "role"),
)
def role_cannot_replicate(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The role may neither create replication slots nor open a replication connection.

    ## What it checks
    The auditing role needs one of: superuser, the `REPLICATION` attribute, or, on RDS and
    Aurora, membership (direct or inherited) in `rds_replication`. The rule speaks for the role
    that ran the audit: audit as the connector's role.

    ## Why it matters for CDC
    Creating a logical slot (`pg_create_logical_replication_slot`, `CREATE_REPLICATION_SLOT`)
    and streaming from it need the privilege; without it the connector stops at "must be
    superuser or replication role to use replication slots", or the replication connection is
    refused by the server. Debezium only logs a warning when it validates the role, so the
    failure comes at the first start.

    ## How to fix
    Self-managed: `ALTER ROLE ... WITH REPLICATION` (a superuser, or on 16+ a role with
    CREATEROLE and REPLICATION, runs it), and allow the role in `pg_hba.conf` for the
    `replication` pseudo-database when the consumer uses physical replication connections.
    RDS and Aurora: `GRANT rds_replication TO ...` as the master user.

    ## References
    - https://www.postgresql.org/docs/current/logicaldecoding-explanation.html#LOGICALDECODING-REPLICATION-SLOTS
    - https://www.postgresql.org/docs/current/sql-alterrole.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.FeatureSupport.LogicalReplication.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-permissions
    """
    assert facts.server is not None and facts.role is not None
    role = facts.role
    managed = facts.platform.is_managed
    if role.superuser or role.replication:
        return
    if managed and RDS_REPLICATION_ROLE in role.member_of:
        return
    needs = "REPLICATION or membership in rds_replication" if managed else "REPLICATION"
    fix = Fix.of(
        sql(
            f"GRANT rds_replication TO {quote_ident(role.name)};  -- as the master user"
            if managed
            else f"ALTER ROLE {quote_ident(role.name)} WITH REPLICATION;",
            role=role.name,
        )
    )
    yield Finding(
        subject=f"role:{role.name}",
        message=f"role {role.name} has no {needs}: it cannot create or stream from a slot",
        evidence={
            "role": role.name,
            "superuser": role.superuser,
            "replication": role.replication,
            "member_of": role.member_of,
            "platform": facts.platform.engine,
        },
        fix=fix,
    )
