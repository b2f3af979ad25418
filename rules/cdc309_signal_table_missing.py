"""CDC309: the Debezium signal table for incremental snapshots does not exist."""

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
from audit.facts import Facts
from audit.remedy import Fix, note, sql
from rules._sql import quote_ident


class Options(RuleOptions):
    signal_table: str | None = option(
        None, unit=Unit.TABLE, description="the connector's signal.data.collection"
    )


@rule(
    code="CDC309",
    name="signal-table-missing",
    severity=Severity.HIGH,
    requires=("tables",),
    profiles=("debezium",),
    options=Options,
)
def signal_table_missing(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The Debezium signal table that incremental snapshots need is not among the tables.

    ## What it checks
    The connector's `signal.data.collection`, given as option `signal_table` (`schema.table`)
    under `[rules.CDC309]`, must be one of the tables in the audit's scope. Without the option
    the rule is not evaluated: only the connector configuration knows the name. Include the
    signal table in the audit's scope, since the connector must capture it too.

    ## Why it matters for CDC
    Incremental and ad-hoc snapshots (adding a table later, re-snapshotting one) are started
    by inserting a row into the signal table, and Debezium writes the snapshot window
    watermarks into it. Without the table the `execute-snapshot` signal has nowhere to go, and
    a connector that relies on incremental snapshots (for example `snapshot.mode=no_data`
    followed by signals) never copies the existing rows.

    ## How to fix
    Create the table with the columns Debezium expects (`id`, `type`, `data`), grant the
    connector's role SELECT and INSERT on it, and make sure the connector captures it (it must
    be in the publication).

    ## References
    - https://debezium.io/documentation/reference/stable/configuration/signalling.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-incremental-snapshots
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-signal-data-collection
    """
    wanted = ctx.options_for(Options).signal_table
    if wanted is None:
        raise NotEvaluated(
            "no signal table configured: set signal_table under [rules.CDC309] to the "
            "connector's signal.data.collection"
        )
    schema, _, name = wanted.partition(".")
    if any(t.schema_name == schema and t.name == name for t in facts.tables or []):
        return
    qualified = f"{quote_ident(schema)}.{quote_ident(name)}"
    role = facts.role.name if facts.role else None
    grantee = quote_ident(role) if role else "<connector role>"
    yield Finding(
        subject=qualified,
        message=f"signal table {qualified} does not exist: incremental snapshots cannot start",
        evidence={"signal_table": wanted, "tables_in_scope": len(facts.tables or [])},
        fix=Fix.of(
            sql(
                f"CREATE TABLE {qualified} (id varchar(42) PRIMARY KEY, "
                "type varchar(32) NOT NULL, data varchar(2048) NULL);",
                table=qualified,
            ),
            sql(
                f"GRANT SELECT, INSERT ON {qualified} TO {grantee};", table=qualified, role=grantee
            ),
            note("and add it to the connector's publication"),
        ),
    )
