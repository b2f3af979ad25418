"""CDC205: the slot name the connector will use is taken by a slot it cannot use."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note
from rules._slots import drop_statement, slot_evidence


class Options(RuleOptions):
    slot_name: str = option("debezium", unit=Unit.NAME, description="the connector's slot.name")
    plugin: str = option("pgoutput", unit=Unit.NAME, description="the connector's plugin.name")


@rule(
    code="CDC205",
    name="connector-slot-conflict",
    severity=Severity.CRITICAL,
    requires=("server", "slots"),
    profiles=("debezium",),
    options=Options,
)
def connector_slot_conflict(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The slot name the connector will use is taken by a slot it cannot use.

    ## What it checks
    The connector's `slot.name` (option `slot_name` under `[rules.CDC205]`, default
    `debezium`, the connector's default) and `plugin.name` (option `plugin`, default
    `pgoutput`, the plugin this profile assumes). When a slot of that name exists, it must be a
    logical slot of the audited database with that plugin. An existing, matching slot passes:
    the connector resumes from it.

    ## Why it matters for CDC
    Slot names are unique across the whole instance, but a logical slot belongs to one
    database and one output plugin. A connector pointed at a name already used in another
    database fails with "replication slot ... was not created in this database"; with another
    plugin it decodes in a format it cannot parse. Either way it does not start, and the
    leftover slot usually retains WAL as well.

    ## How to fix
    Give the connector its own `slot.name`, or, when the existing slot is a leftover nobody
    uses, drop it first.

    ## References
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-slot-name
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-plugin-name
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    """
    assert facts.server is not None
    options = ctx.options_for(Options)
    name = options.slot_name
    plugin = options.plugin
    database = facts.server.current_database
    slot = next((s for s in facts.slots or [] if s.slot_name == name), None)
    if slot is None:
        return
    problems = []
    if slot.slot_type != "logical":
        problems.append(f"is a {slot.slot_type} slot")
    else:
        if slot.database != database:
            problems.append(f"belongs to database {slot.database}, not {database}")
        if slot.plugin != plugin:
            problems.append(f"uses plugin {slot.plugin}, not {plugin}")
    if not problems:
        return
    yield Finding(
        subject=f"slot:{name}",
        message=f"slot {name}, the connector's slot.name, " + " and ".join(problems),
        evidence={
            **slot_evidence(slot, facts.collected_at),
            "expected_database": database,
            "expected_plugin": plugin,
        },
        fix=Fix.of(
            note(
                f"give the connector its own slot.name (for example slot.name={name}_{database}), "
                f"or, if nothing uses slot {name} any more:",
                ChangeWindow.COORDINATION,
                slot_name=name,
            ),
            drop_statement(slot).model_copy(update={"window": ChangeWindow.COORDINATION}),
        ),
    )
