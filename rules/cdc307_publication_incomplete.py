"""CDC307: the connector's publication misses tables in scope, or the operations they see."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import Fix, sql
from rules._publications import captured, connector_publication_name, find_publication, publishes
from rules._sql import quote_ident
from rules._stats import counters_off
from rules._units import fmt_count


class Options(RuleOptions):
    publication: str | None = option(
        None,
        unit=Unit.NAME,
        description="the publication the connector reads (default: the profile's)",
    )


@rule(
    code="CDC307",
    name="publication-incomplete",
    severity=Severity.HIGH,
    requires=("publications", "tables"),
    profiles=("debezium", "native"),
    options=Options,
)
def publication_incomplete(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The connector's publication leaves out tables in scope, or operations they see.

    ## What it checks
    The publication the connector reads (option `publication` under `[rules.CDC307]`;
    Debezium's default is `dbz_publication`, native subscriptions need the option) must
    publish every logged table in the audit's scope (directly, through `FOR TABLES IN SCHEMA`,
    `FOR ALL TABLES`, or through a published partitioned parent), and must publish UPDATE and
    DELETE when those tables see them. A publication that does not exist yet is CDC302's
    business; unlogged tables are CDC103's. With `track_counts = off` (CDC015) the
    operations are not judged.

    ## Why it matters for CDC
    pgoutput sends only what the publication publishes. A table left out is snapshotted (or
    not, depending on the connector) and then silently receives no change; a publication with
    `publish = 'insert'` drops every UPDATE and DELETE. Debezium's default
    `publication.autocreate.mode = all_tables` uses an existing publication as it is, so an
    incomplete one is never corrected.

    ## How to fix
    Add the missing tables (`ALTER PUBLICATION ... ADD TABLE ...`, run by the tables' owner),
    or let Debezium maintain the list (`publication.autocreate.mode = filtered`), and publish
    the operations the tables see (`ALTER PUBLICATION ... SET (publish = 'insert, update,
    delete, truncate')`).

    ## References
    - https://www.postgresql.org/docs/current/sql-alterpublication.html
    - https://www.postgresql.org/docs/current/logical-replication-publication.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-publication-autocreate-mode
    """
    name = connector_publication_name(ctx, "CDC307", ctx.options_for(Options).publication)
    publication = find_publication(facts, name)
    if publication is None:
        return
    tables = facts.tables or []
    by_name = {t.qualified_name: t for t in tables}
    wanted = captured(tables)
    missing = [t for t in wanted if not publishes(publication, t, by_name)]
    published = [t for t in wanted if t not in missing]
    updates = sum(t.n_tup_upd or 0 for t in published)
    deletes = sum(t.n_tup_del or 0 for t in published)
    dropped = []
    if counters_off(facts):
        updates = deletes = 0  # unknown: the publish list is not judged on zero counters
    if not publication.insert:
        dropped.append("INSERT")
    if not publication.update and updates:
        dropped.append(f"UPDATE ({fmt_count(updates)} since statistics reset)")
    if not publication.delete and deletes:
        dropped.append(f"DELETE ({fmt_count(deletes)} since statistics reset)")
    if not missing and not dropped:
        return
    parts = []
    if missing:
        shown = ", ".join(t.qualified_name for t in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        parts.append(f"leaves out {len(missing)} of {len(wanted)} tables in scope ({shown}{more})")
    if dropped:
        parts.append(f"does not publish {', '.join(dropped)}")
    steps = []
    if missing:
        steps.append(
            sql(
                f"ALTER PUBLICATION {quote_ident(name)} ADD TABLE "
                + ", ".join(t.qualified_name for t in missing)
                + ";  -- as the tables' owner",
                publication=name,
                tables=[t.qualified_name for t in missing],
            )
        )
    if dropped:
        steps.append(
            sql(
                f"ALTER PUBLICATION {quote_ident(name)} "
                "SET (publish = 'insert, update, delete, truncate');",
                publication=name,
                dropped=dropped,
            )
        )
    yield Finding(
        subject=f"publication:{name}",
        message=f"publication {name} " + " and ".join(parts),
        evidence={
            "publication": name,
            "all_tables": publication.all_tables,
            "missing_tables": [t.qualified_name for t in missing],
            "publish": {
                "insert": publication.insert,
                "update": publication.update,
                "delete": publication.delete,
            },
            "n_tup_upd": updates,
            "n_tup_del": deletes,
        },
        fix=Fix(steps=tuple(steps)),
        severity=Severity.CRITICAL if not publication.insert else None,
    )
