"""CDC408: replication slot lag or retained WAL grew over the look-back window."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, known, rule
from audit.facts import Facts
from audit.remedy import Fix, note, sql
from rules._aws_facts import aws_facts_for
from rules._trends import MIN_RISE_BYTES, trend
from rules._units import fmt_bytes, fmt_duration

RETENTION_METRICS = (
    "OldestReplicationSlotLag",
    "ReplicationSlotDiskUsage",
    "TransactionLogsDiskUsage",
)

FIND_SLOT_SQL = Fix.of(
    sql(
        """\
SELECT slot_name, slot_type, active, wal_status,
       pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) AS retained
  FROM pg_replication_slots
 ORDER BY pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) DESC NULLS LAST;"""
    ),
    note(
        "restart or fix the consumer of the top slot; drop a slot nobody consumes:\n"
        "SELECT pg_drop_replication_slot('<slot_name>');"
    ),
)


@rule(
    code="CDC408",
    name="retained-wal-growing",
    severity=Severity.HIGH,
    requires=(),
)
def retained_wal_growing(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Replication slot lag or retained WAL grew steadily over the look-back window.

    ## What it checks
    The writer's CloudWatch series `OldestReplicationSlotLag`, `ReplicationSlotDiskUsage`
    and `TransactionLogsDiskUsage` (namespace `AWS/RDS`, maximum per period) over the
    look-back window. A series is growing when its least-squares slope is positive, the fitted
    rise is at least 128 MiB, and the last point is at least 80% of the peak, so a lag that
    drains again does not count. Negative points (Aurora reports `-1` for
    `TransactionLogsDiskUsage` while logical replication is off) are ignored; fewer than three
    points say nothing. On a self-managed server with no AWS target the rule passes: there is
    no control plane to check.

    ## Why it matters for CDC
    A slot whose consumer is stalled or too slow keeps every WAL segment since its
    `restart_lsn`. Retained WAL that keeps growing ends in a full disk (RDS), in growing
    storage cost and slower decoding (Aurora), or in an invalidated slot once
    `max_slot_wal_keep_size` is exceeded, after which the connector must re-snapshot. Adding
    a CDC connector to a database that already leaks WAL adds to the problem.

    ## How to fix
    Find the slot that holds the most WAL, and restart or fix its consumer, or drop it if
    nothing consumes it. Set `max_slot_wal_keep_size` to bound the damage, and alarm on
    `OldestReplicationSlotLag` and `TransactionLogsDiskUsage`.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Replication.Logical.html
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    """
    aws = aws_facts_for(facts)
    if aws is None:
        return
    known(facts, aws.metrics, "aws.metrics")
    for name in RETENTION_METRICS:
        series = aws.series(name)
        found = trend(series) if series else None
        if series is None or found is None or not found.is_growing:
            continue
        instance = series.dimensions.get("DBInstanceIdentifier", "?")
        yield Finding(
            subject=f"metric:{instance}/{name}",
            message=(
                f"{name} on {instance} grew by {fmt_bytes(found.rise)} in "
                f"{fmt_duration(found.span_hours * 3600)} "
                f"({fmt_bytes(found.slope_per_hour)}/h), now {fmt_bytes(found.last)}"
            ),
            evidence={
                **found.evidence(),
                "dimensions": series.dimensions,
                "statistic": series.statistic,
                "unit": series.unit,
                "min_rise_bytes": MIN_RISE_BYTES,
            },
            fix=FIND_SLOT_SQL,
        )
