"""CDC306: too few free connections for the connector's snapshot."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.estimate.recommend import connections_in_use, connections_needed
from audit.facts import Facts
from audit.remedy.settings import apply_staged, set_recommended
from rules._estimates import connector_plan, recommended
from rules._staged import staged_int
from rules._units import as_int, require_setting


@rule(
    code="CDC306",
    name="connection-headroom",
    severity=Severity.HIGH,
    requires=("settings", "databases", "server"),
)
def connection_headroom(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Too few free connections for the connector's snapshot and metadata connections.

    ## What it checks
    Free connections are `max_connections` minus `superuser_reserved_connections`, minus
    `reserved_connections` (16+), minus the connections open at the audit (the sum of
    `pg_stat_database.numbackends`). Needed are the planned connectors times the ordinary
    connections each opens:

    - debezium: 2, one to read the snapshot and one for metadata and heartbeats
      (`snapshot.max.threads` adds more; Debezium PostgreSQL connector docs);
    - dms: 9, one per table loaded in parallel (`MaxFullLoadSubTasks`, default 8) plus one
      (AWS DMS task settings);
    - native: 0, table synchronization streams through walsenders (CDC003);
    - generic: 1.

    Before PostgreSQL 12 walsenders count against `max_connections` too, so the connector's
    walsenders are added. `planned_connectors` is set under `[estimates]` (one plan for
    CDC002, CDC003, CDC306 and the recommended settings). A snapshot of the busy hour, not the
    audit's moment, is what matters: keep a margin.

    A `max_connections` staged for the next restart (`pending_value`) is judged too: one that
    would leave too few connections is reported, and one that restores the headroom turns the
    fix into a restart (CDC004 leaves this setting to this rule).

    ## Why it matters for CDC
    When the snapshot cannot connect ("sorry, too many clients already" or "remaining
    connection slots are reserved"), the connector fails after its slot exists, and the
    application competes with it for the last connections during the copy.

    ## How to fix
    Raise `max_connections` (a restart), reduce the application's pool sizes, or put a
    pooler in front of the application; lower the connector's parallelism.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-MAX-CONNECTIONS
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-snapshot-max-threads
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TaskSettings.FullLoad.html
    """
    assert facts.server is not None
    profile = ctx.profile
    plan = connector_plan(facts, ctx)
    planned = plan.planned_connectors
    needed = connections_needed(facts, plan)
    if needed <= 0:
        return
    setting = require_setting(facts, "max_connections")
    maximum = as_int(setting)
    staged, pending = staged_int(facts, "max_connections")
    where = staged.where if staged else ""
    when = staged.when if staged else ""
    require_setting(facts, "superuser_reserved_connections")
    usage = connections_in_use(facts)
    if usage is None:
        raise NotEvaluated("the number of open connections per database is unknown")
    reserved, used = usage
    target = recommended(facts, ctx, "max_connections")
    if target is None:
        raise NotEvaluated("no value for max_connections could be recommended")
    free = maximum - reserved - used
    staged_free = pending - reserved - used if pending is not None else None
    what = f"{needed} needed for {planned} {profile.name} connector(s)' snapshot connections"
    evidence = {
        "max_connections": maximum,
        "pending_value": pending,
        "reserved": reserved,
        "connections_in_use": used,
        "free": free,
        "needed": needed,
        "snapshot_connections_per_connector": plan.snapshot_connections,
        "plan_source": plan.source,
    }
    if free >= needed:
        if staged_free is not None and staged_free < needed:
            yield Finding(
                subject="setting:max_connections",
                message=(
                    f"max_connections is {maximum}, but {pending} is staged in {where}: "
                    f"after {when} {max(staged_free, 0)} free with {reserved} reserved and "
                    f"{used} in use, {what}"
                ),
                evidence=evidence,
                fix=set_recommended(facts, target),
            )
        return
    message = (
        f"max_connections is {maximum} with {reserved} reserved and {used} in use: "
        f"{max(free, 0)} free, {what}"
    )
    if staged is not None and staged_free is not None and staged_free >= needed:
        message += (
            f"; {pending} is staged in {where} and applies at {when}, which resolves this finding"
        )
        fix = apply_staged(facts, staged)
    else:
        message += f": raise it to {target.recommended}"
        fix = set_recommended(facts, target)
    yield Finding(
        subject="setting:max_connections",
        message=message,
        evidence=evidence,
        fix=fix,
        severity=Severity.CRITICAL if free <= 0 else None,
    )
