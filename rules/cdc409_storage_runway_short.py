"""CDC409: free storage runs out within days at the rate seen over the look-back window."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, known, rule
from audit.facts import Facts
from audit.remedy import Fix, note, sql
from audit.remedy.aws_cli import Target, aws_step
from rules._aws_facts import aws_facts_for
from rules._trends import runway_hours, trend
from rules._units import fmt_bytes, fmt_duration

RUNWAY_HOURS = 72.0

# free-storage series -> the retention series that consume that storage
STORAGE = {
    "FreeStorageSpace": ("TransactionLogsDiskUsage", "ReplicationSlotDiskUsage"),
    "FreeLocalStorage": (),
}


@rule(
    code="CDC409",
    name="storage-runway-short",
    severity=Severity.HIGH,
    requires=(),
)
def storage_runway_short(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Free storage runs out within three days at the rate seen over the look-back window.

    ## What it checks
    The writer's `FreeStorageSpace` (RDS) and `FreeLocalStorage` (Aurora provisioned
    instances; Serverless v2 has none) from CloudWatch, minimum per period. The consumption
    rate is the larger of the free series' own decline and, on RDS, the growth of
    `TransactionLogsDiskUsage` plus `ReplicationSlotDiskUsage` (both least-squares slopes over
    the window). Hours of runway = last free value / rate; under 72 hours fails. Aurora keeps
    WAL on the cluster volume, which grows by itself, so only the local storage's own decline
    counts there. On a self-managed server with no AWS target the rule passes: there is no
    control plane to check.

    ## Why it matters for CDC
    A stalled slot or a long initial snapshot retains WAL at the write rate. When storage
    fills, RDS stops the instance (`storage-full`) and Aurora fails queries that need local
    space (sorts, logical decoding spill files). A database with less than three days of
    runway cannot absorb a weekend with a stuck connector.

    ## How to fix
    Find what consumes the space (CDC408 for retained WAL), add storage (`aws rds
    modify-db-instance --allocated-storage`, or enable storage autoscaling with
    `--max-allocated-storage`) or a larger instance class for local storage, and set
    `max_slot_wal_keep_size` so a stalled slot is invalidated before the disk fills.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-MAX-SLOT-WAL-KEEP-SIZE
    """
    aws = aws_facts_for(facts)
    if aws is None:
        return
    known(facts, aws.metrics, "aws.metrics")
    for free_name, consumers in STORAGE.items():
        free = aws.series(free_name)
        free_trend = trend(free) if free else None
        if free is None or free_trend is None:
            continue
        rates = {free_name: -free_trend.slope_per_hour}
        for name in consumers:
            series = aws.series(name)
            found = trend(series) if series else None
            if found is not None:
                rates[name] = found.slope_per_hour
        decline = rates.pop(free_name)
        growth = sum(r for r in rates.values() if r > 0)
        rate = max(decline, growth)
        hours = runway_hours(free_trend.last, rate)
        if hours is None or hours >= RUNWAY_HOURS:
            continue
        instance = free.dimensions.get("DBInstanceIdentifier", "?")
        yield Finding(
            subject=f"metric:{instance}/{free_name}",
            message=(
                f"{free_name} on {instance} is {fmt_bytes(free_trend.last)} and falls by "
                f"{fmt_bytes(rate)}/h: about {fmt_duration(hours * 3600)} of runway"
            ),
            evidence={
                "free_bytes": free_trend.last,
                "free_decline_per_hour": round(decline, 1),
                "retention_growth_per_hour": {k: round(v, 1) for k, v in rates.items()},
                "rate_per_hour": round(rate, 1),
                "runway_hours": round(hours, 1),
                "threshold_hours": RUNWAY_HOURS,
                "window_hours": round(free_trend.span_hours, 2),
            },
            fix=Fix.of(
                note("what holds WAL:"),
                sql(
                    "SELECT slot_name, active,\n"
                    "       pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn))\n"
                    "  FROM pg_replication_slots;"
                ),
                aws_step(
                    Target.of(aws, aurora=aws.is_cluster),
                    (
                        "rds",
                        "modify-db-instance",
                        "--db-instance-identifier",
                        instance,
                        "--max-allocated-storage",
                        "<GiB>",
                        "--apply-immediately",
                    ),
                    instance=instance,
                )
                if free_name == "FreeStorageSpace"
                else note("local storage grows only with a larger instance class"),
            ),
        )
