"""CDC011: logical slots that a failover to the standby would lose."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, Step, note, shell
from audit.remedy.settings import set_setting
from rules._failover import FAILOVER_SLOTS_SINCE
from rules._sql import quote_ident

FIRST_MAJOR = FAILOVER_SLOTS_SINCE


@rule(
    code="CDC011",
    name="slots-not-failover-ready",
    severity=Severity.MEDIUM,
    requires=("server", "slots"),
)
def slots_not_failover_ready(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Logical slots would not survive a failover to the server's streaming standby.

    ## What it checks
    Only on primaries with evidence of a physical standby (an active physical slot: a
    streaming standby, or an RDS read replica), and only for existing logical slots:

    - on PostgreSQL 17 and later, a logical slot created without `failover = true` is not
      synchronized to standbys (medium, one finding per slot); on RDS for PostgreSQL 17 the
      same holds for read replicas, with AWS's parameters (below);
    - before 17, no logical slot survives a failover (info, one finding; self-managed only).

    Aurora is skipped: Aurora keeps WAL on the shared cluster volume that the promoted
    instance takes over and has no streaming standby to synchronize slots to (AWS does not
    state in so many words that logical slots survive a failover). CDC407 says the same
    after a failover and asks to check the slots on the new writer. RDS before 17 is skipped:
    a Multi-AZ instance replicates storage, not WAL, and the audit cannot tell the deployment
    from SQL. Standbys without a slot are invisible. HA managers that copy slots themselves
    (Patroni's permanent slots) make the pre-17 finding moot; waive it then.

    ## Why it matters for CDC
    After a promotion the new primary has no copy of the connector's slot: the connector
    either fails ("replication slot does not exist") or creates a new slot at the current
    position and silently skips everything in between, unless it takes a new snapshot.

    ## How to fix
    On PostgreSQL 17+, switch the slot to failover while its consumer is stopped
    (`ALTER_REPLICATION_SLOT name (FAILOVER true)` on a replication connection keeps the slot's
    position; subscriptions: `ALTER SUBSCRIPTION ... SET (failover = true)`; new slots:
    Debezium `slot.failover`, `pg_create_logical_replication_slot(..., failover => true)`),
    list the standby's physical slot in `synchronized_standby_slots` on the primary, and on the
    standby set `sync_replication_slots = on`, `hot_standby_feedback = on`, `primary_slot_name`
    to that physical slot and a `dbname` in `primary_conninfo` (the slot sync worker connects
    to a database). On RDS for PostgreSQL 17 set them through parameter groups:
    `synchronized_standby_slots` on the primary; `sync_replication_slots = 1`,
    `hot_standby_feedback = 1` and `rds.logical_slot_sync_dbname` (default `postgres`: a
    database that exists) on the read replica. Before 17, plan a re-snapshot after failover,
    or let the HA manager maintain the slots.

    ## References
    - https://www.postgresql.org/docs/17/logicaldecoding-explanation.html#LOGICALDECODING-REPLICATION-SLOTS-SYNCHRONIZATION
    - https://www.postgresql.org/docs/17/runtime-config-replication.html#GUC-SYNCHRONIZED-STANDBY-SLOTS
    - https://www.postgresql.org/docs/17/protocol-replication.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.pglogical.slot.synchronization.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Replication.Logical.html
    """
    assert facts.server is not None
    server = facts.server
    platform = facts.platform
    if platform.is_aurora or server.in_recovery:
        return
    if platform.is_rds and server.major < FIRST_MAJOR:
        return
    slots = facts.slots or []
    standbys = [s.slot_name for s in slots if s.slot_type == "physical" and s.active]
    logical = [s for s in slots if s.slot_type == "logical" and not s.temporary]
    if not standbys or not logical:
        return
    if server.major < FIRST_MAJOR:
        names = ", ".join(s.slot_name for s in logical)
        yield Finding(
            subject="server:failover",
            message=(
                f"PostgreSQL {server.major} cannot keep logical slots across a failover: "
                f"{names} would be missing on the promoted standby"
            ),
            evidence={"standby_slots": standbys, "logical_slots": [s.slot_name for s in logical]},
            fix=Fix.of(
                note(
                    "plan a new snapshot after a failover, or upgrade to PostgreSQL 17+",
                    ChangeWindow.COORDINATION,
                )
            ),
            severity=Severity.INFO,
        )
        return
    for slot in logical:
        if slot.failover is not False:
            continue
        name = slot.slot_name
        yield Finding(
            subject=f"slot:{name}",
            message=(
                f"slot {name} is not a failover slot: a failover to the standby "
                f"({', '.join(standbys)}) loses it"
            ),
            evidence={
                "slot_name": name,
                "failover": slot.failover,
                "plugin": slot.plugin,
                "database": slot.database,
                "standby_slots": standbys,
            },
            fix=Fix.of(
                note(
                    f"stop the consumer of {name}, switch the slot to failover (keeps its "
                    "position), start the consumer again",
                    ChangeWindow.COORDINATION,
                    slot_name=name,
                ),
                shell(
                    f'psql "dbname={_conninfo_value(slot.database or "<database>")} '
                    'replication=database" '
                    f'-c "ALTER_REPLICATION_SLOT {quote_ident(name)} (FAILOVER true)"',
                    ChangeWindow.COORDINATION,
                    slot_name=name,
                    database=slot.database,
                ),
                *set_setting(facts, "synchronized_standby_slots", standbys[0], restart=False).steps,
                _standby_step(facts, standbys[0]),
            ),
        )


def _standby_step(facts: Facts, standby_slot: str) -> Step:
    if facts.platform.is_rds:
        return note(
            "and in the read replica's parameter group: sync_replication_slots = 1, "
            "hot_standby_feedback = 1, rds.logical_slot_sync_dbname = an existing database "
            "(default postgres)",
            ChangeWindow.COORDINATION,
            standby_slot=standby_slot,
        )
    return note(
        "and on the standby: sync_replication_slots = on, hot_standby_feedback = on, "
        f"primary_slot_name = '{standby_slot}', and a dbname in primary_conninfo",
        ChangeWindow.COORDINATION,
        standby_slot=standby_slot,
    )


def _conninfo_value(value: str) -> str:
    """A libpq connection-string value, quoted when it has spaces or quotes."""
    if value and not any(c in value for c in " '\\\""):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
