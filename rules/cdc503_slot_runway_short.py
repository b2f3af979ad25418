"""CDC503: a stalled slot would be invalidated, or fill the disk, within hours."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import Fix, note
from rules._estimates import estimates_for, require_estimate, require_value
from rules._keep_size import keep_size_steps
from rules._units import fmt_bytes, fmt_duration


class Options(RuleOptions):
    min_runway_hours: float = option(
        24.0, unit=Unit.HOURS, ge=0, description="runway of a stalled slot shorter than this fails"
    )


@rule(
    code="CDC503",
    name="slot-runway-short",
    severity=Severity.HIGH,
    requires=("sampling",),
    options=Options,
)
def slot_runway_short(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A stalled slot would be invalidated, or fill the disk, too soon.

    ## What it checks
    The capacity estimate `runway.hours`: how long a slot whose consumer has stopped can hold
    WAL, at the p95 logical WAL rate, before it reaches `max_slot_wal_keep_size` (the slot is
    invalidated) or the free disk (the server stops). It fails when the expected runway is
    shorter than the option `min_runway_hours` (default 24 hours: a consumer that fails on a
    Friday evening must survive until someone looks).

    ## Why it matters for CDC
    Consumers stop: a connector crashes, a Kafka cluster is down, credentials expire. The slot
    then holds WAL from that moment. When the limit is `max_slot_wal_keep_size`, the slot is
    invalidated and CDC has to be rebuilt with a new snapshot; when it is the disk, the whole
    database stops.

    ## How to fix
    Give the runway room: raise `max_slot_wal_keep_size` within the free disk, add storage, or
    lower the WAL rate (see CDC501). Alert on slot lag well before the runway ends, e.g. on
    `pg_replication_slots.safe_wal_size` or CloudWatch `OldestReplicationSlotLag`.

    ## References
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-MAX-SLOT-WAL-KEEP-SIZE
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html
    """
    runway = require_estimate(estimates_for(facts, ctx).runway, "runway")
    minimum = ctx.options_for(Options).min_runway_hours
    hours = require_value(runway.hours, "runway.hours", "no limit is known")
    name = require_value(runway.limit, "runway.limit", "no limit is known")
    if hours.expected >= minimum:
        return
    limit_bytes = runway.limits[name].limit_bytes
    yield Finding(
        subject=f"runway:{name}",
        message=(
            f"a stalled slot reaches {name} ({fmt_bytes(limit_bytes)}) "
            f"in {fmt_duration(hours.expected * 3600)} at the p95 logical WAL rate, "
            f"less than {minimum:g} h"
        ),
        evidence={
            "hours": hours.as_dict(),
            "limit": name,
            "limit_bytes": limit_bytes,
            "p95_logical_bytes_per_s": runway.inputs.get("p95_logical_bytes_per_s"),
            "min_runway_hours": minimum,
        },
        fix=Fix.of(
            *keep_size_steps(
                facts, ctx, above=limit_bytes if name == "max_slot_wal_keep_size" else None
            ),
            note("and alert on pg_replication_slots.safe_wal_size"),
        ),
    )
