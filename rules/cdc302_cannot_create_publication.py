"""CDC302: the connector's publication does not exist and its role cannot create it."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import (
    Finding,
    NotEvaluated,
    RuleContext,
    RuleOptions,
    Severity,
    Unit,
    option,
    rule,
)
from audit.facts import Facts, Role
from audit.remedy import Fix, note, sql
from rules._publications import captured, connector_publication_name, find_publication
from rules._sql import quote_ident

RDS_SUPERUSER = "rds_superuser"


class Options(RuleOptions):
    publication: str | None = option(
        None,
        unit=Unit.NAME,
        description="the publication the connector reads (default: the profile's)",
    )


@rule(
    code="CDC302",
    name="cannot-create-publication",
    severity=Severity.HIGH,
    requires=("publications", "tables", "role", "server"),
    profiles=("debezium", "native"),
    options=Options,
)
def cannot_create_publication(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The connector's publication does not exist, and the role may not create it.

    ## What it checks
    Only when the publication the connector reads (option `publication` under
    `[rules.CDC302]`; Debezium's default `dbz_publication`) does not exist yet. Creating it
    needs:

    - `FOR ALL TABLES` (Debezium's default `publication.autocreate.mode = all_tables`): a
      superuser;
    - `FOR TABLE ...` (`filtered` mode, or a DBA): CREATE on the database and ownership of
      every table, directly or through role membership.

    On RDS and Aurora, members of `rds_superuser` are given the benefit of the doubt for
    `FOR ALL TABLES` (not verified by this rule). The rule speaks for the role that ran the
    audit: audit as the connector's role.

    ## Why it matters for CDC
    Debezium creates its publication at the first start; without the privileges it fails with
    "must be superuser to create FOR ALL TABLES publication" or "must be owner of table",
    after the replication slot may already exist. A subscription to a publication that does
    not exist fails when it starts streaming.

    ## How to fix
    Have the tables' owner (or a superuser) create the publication for the tables in scope
    before the connector starts, and tell Debezium not to create it
    (`publication.autocreate.mode = disabled`), or switch Debezium to `filtered` mode after
    giving the role CREATE on the database and ownership of the tables (through a group role
    that owns them).

    ## References
    - https://www.postgresql.org/docs/current/sql-createpublication.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-publication-autocreate-mode
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-permissions
    """
    assert facts.role is not None and facts.server is not None
    name = connector_publication_name(ctx, "CDC302", ctx.options_for(Options).publication)
    if find_publication(facts, name) is not None:
        return
    role = facts.role
    if role.superuser:
        return
    managed = facts.platform.is_managed
    if managed and RDS_SUPERUSER in role.member_of:
        return
    if role.can_create_on_database is None:
        raise NotEvaluated("whether the role has CREATE on the database is unknown")
    tables = captured(facts.tables or [])
    if not tables:
        return
    unknown_owner = [t.qualified_name for t in tables if t.owner is None]
    if unknown_owner:
        raise NotEvaluated(f"the owner of {len(unknown_owner)} table(s) is unknown")
    foreign = [t for t in tables if not _owns(role, t.owner or "")]
    severity: Severity | None = None
    if role.can_create_on_database and not foreign:
        if ctx.profile.name != "debezium":
            return
        message = (
            f"publication {name} does not exist; role {role.name} can create it FOR TABLE, "
            "but not FOR ALL TABLES as Debezium's default all_tables mode does"
        )
        severity = Severity.LOW
    else:
        reasons = ["is not a superuser"]
        if not role.can_create_on_database:
            reasons.append("has no CREATE on the database")
        if foreign:
            reasons.append(f"does not own {len(foreign)} of {len(tables)} tables in scope")
        message = (
            f"publication {name} does not exist and role {role.name} cannot create it: it "
            + ", ".join(reasons[:-1])
            + f" and {reasons[-1]}"
        )
    steps = [
        sql(
            f"CREATE PUBLICATION {quote_ident(name)} FOR TABLE "
            + ", ".join(t.qualified_name for t in tables)
            + ";  -- as a superuser or the tables' owner",
            publication=name,
            tables=len(tables),
        )
    ]
    if ctx.profile.name == "debezium":
        steps.append(note("then set publication.autocreate.mode=disabled in the connector"))
    yield Finding(
        subject=f"publication:{name}",
        message=message,
        evidence={
            "publication": name,
            "role": role.name,
            "superuser": role.superuser,
            "can_create_on_database": role.can_create_on_database,
            "tables_not_owned": [t.qualified_name for t in foreign],
            "platform": facts.platform.engine,
        },
        fix=Fix(steps=tuple(steps)),
        severity=severity,
    )


def _owns(role: Role, owner: str) -> bool:
    return owner == role.name or owner in role.member_of
