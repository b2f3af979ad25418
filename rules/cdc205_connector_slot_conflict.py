"""CDC205: the connector's slot name is taken by a slot it cannot use or another consumer reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
from audit.facts import Facts, Slot
from audit.facts.models import Sender
from audit.remedy import ChangeWindow, Fix, Step, note
from rules._slots import drop_statement, slot_evidence


class Options(RuleOptions):
    slot_name: str = option("debezium", unit=Unit.NAME, description="the connector's slot.name")
    plugin: str = option("pgoutput", unit=Unit.NAME, description="the connector's plugin.name")
    consumer_application_name: str = option(
        "",
        unit=Unit.NAME,
        description="application_name of the connector's own replication connection when it "
        "already streams from the slot (Debezium: Debezium Streaming); empty: the connector "
        "does not stream yet",
    )


@rule(
    code="CDC205",
    name="connector-slot-conflict",
    severity=Severity.CRITICAL,
    requires=("server", "slots"),
    profiles=("debezium",),
    options=Options,
)
def connector_slot_conflict(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The connector's slot name is taken by a slot it cannot use or that another consumer reads.

    ## What it checks
    The connector's `slot.name` (option `slot_name` under `[rules.CDC205]`, default
    `debezium`, the connector's default) and `plugin.name` (option `plugin`, default
    `pgoutput`, the plugin this profile assumes). When a slot of that name exists, it must be a
    logical slot of the audited database with that plugin, and nobody else may be reading it.
    An existing, matching, inactive slot passes: the connector resumes from it.

    A slot that is `active` has a consumer now (`active_pid`); the WAL sender of that process
    (`pg_stat_replication`) names its application, user and address. Before the connector
    runs (option `consumer_application_name` empty, the default), any consumer is another
    one. For an audit of a connector that already streams, set `consumer_application_name`
    to the `application_name` its replication connection reports (Debezium's is
    `Debezium Streaming`): a consumer with another name is reported. Every Debezium
    connector reports that same name, so two Debezium connectors sharing a slot cannot be
    told apart this way. When the consumer's name is needed but cannot be seen (the
    auditing role lacks `pg_read_all_stats`, or the slot is read through SQL functions by a
    session that is not a WAL sender), the rule is not evaluated.

    ## Why it matters for CDC
    Slot names are unique across the whole instance, but a logical slot belongs to one
    database and one output plugin. A connector pointed at a name already used in another
    database fails with "replication slot ... was not created in this database"; with another
    plugin it decodes in a format it cannot parse. Either way it does not start, and the
    leftover slot usually retains WAL as well.

    A slot serves one consumer at a time, and every consumer confirms positions on the same
    slot: two connectors that take turns on one slot each skip the changes the other one
    confirmed, and lose them without an error. While the other consumer streams, the
    connector fails at start with "replication slot ... is active for PID ...".

    ## How to fix
    Give the connector its own `slot.name`, or, when the existing slot is a leftover nobody
    uses, drop it first. A slot another consumer streams from is never dropped: find out whose
    it is (application, user and address are in the evidence) and give one of the two
    consumers another slot.

    ## References
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-slot-name
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-plugin-name
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-REPLICATION-VIEW
    - https://github.com/estuary/connectors/pull/1705
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
    consumer = _consumer(facts, slot)
    other = _other_consumer(slot, consumer, options.consumer_application_name)
    if other:
        problems.append(f"is in use by {other}")
    if not problems:
        return
    evidence: dict[str, Any] = {
        **slot_evidence(slot, facts.collected_at),
        "active_pid": slot.active_pid,
        "expected_database": database,
        "expected_plugin": plugin,
    }
    if other:
        evidence["consumer"] = _consumer_evidence(consumer)
        evidence["expected_consumer_application_name"] = options.consumer_application_name or None
    yield Finding(
        subject=f"slot:{name}",
        message=f"slot {name}, the connector's slot.name, " + " and ".join(problems),
        evidence=evidence,
        fix=Fix.of(*_fix(slot, database, in_use=bool(other))),
    )


def _consumer(facts: Facts, slot: Slot) -> Sender | None:
    """The WAL sender streaming from ``slot``, when one is visible."""
    if slot.active_pid is None:
        return None
    return next((s for s in facts.senders or [] if s.pid == slot.active_pid), None)


def _other_consumer(slot: Slot, consumer: Sender | None, ours: str) -> str:
    """Who streams from ``slot`` when it is not the connector itself; "" when nobody else."""
    if not slot.active:
        return ""
    pid = f"pid {slot.active_pid}" if slot.active_pid is not None else "an unknown process"
    if consumer is None or consumer.application_name is None:
        if ours:
            raise NotEvaluated(
                f"slot {slot.slot_name} is active ({pid}), but which application streams from "
                "it is not visible: a WAL sender's details need pg_read_all_stats, and a "
                "session reading the slot through SQL functions is not a WAL sender"
            )
        return pid
    if ours and consumer.application_name == ours:
        return ""
    details = [pid]
    if consumer.user:
        details.append(f"user {consumer.user}")
    if consumer.client_addr:
        details.append(f"from {consumer.client_addr}")
    return f"{consumer.application_name or 'an unnamed application'} ({', '.join(details)})"


def _consumer_evidence(consumer: Sender | None) -> dict[str, Any] | None:
    if consumer is None:
        return None
    return {
        "pid": consumer.pid,
        "application_name": consumer.application_name,
        "user": consumer.user,
        "client_addr": consumer.client_addr,
        "state": consumer.state,
        "backend_start": consumer.backend_start.isoformat() if consumer.backend_start else None,
    }


def _fix(slot: Slot, database: str, *, in_use: bool) -> list[Step]:
    name = slot.slot_name
    own = f"give the connector its own slot.name (for example slot.name={name}_{database})"
    if in_use:
        return [
            note(
                f"{own}: slot {name} has another consumer; never drop a slot someone streams from",
                ChangeWindow.COORDINATION,
                slot_name=name,
            )
        ]
    return [
        note(
            f"{own}, or, if nothing uses slot {name} any more:",
            ChangeWindow.COORDINATION,
            slot_name=name,
        ),
        drop_statement(slot).model_copy(update={"window": ChangeWindow.COORDINATION}),
    ]
