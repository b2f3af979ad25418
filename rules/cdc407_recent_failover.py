"""CDC407: the cluster or instance failed over during the look-back window."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, known, rule
from audit.facts import Facts
from audit.facts.aws import AwsEvent
from audit.remedy import Fix, sql
from rules._aws_facts import aws_facts_for
from rules._failover import AURORA_SLOTS, AURORA_SOURCE, FAILOVER_SLOTS_SINCE, RDS_SLOT_SYNC


def is_failover(event: AwsEvent) -> bool:
    """Category ``failover`` or ``global failover``; the message as a fallback (no event IDs
    in DescribeEvents)."""
    categories = {c.lower() for c in event.categories}
    return bool(categories & {"failover", "global failover"}) or "failover" in event.message.lower()


@rule(
    code="CDC407",
    name="recent-failover",
    severity=Severity.MEDIUM,
    requires=(),
)
def recent_failover(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The cluster or instance failed over during the look-back window.

    ## What it checks
    RDS events of the cluster and its instances in the look-back window (24 hours unless
    configured) whose category is `failover` or `global failover` (RDS-EVENT-0069 to 0073,
    0181 to 0187), or whose message mentions a failover. One finding with every such event.
    On a self-managed server with no AWS target the rule passes: there is no control plane to
    check.

    ## Why it matters for CDC
    Logical decoding runs on the writer, and a failover changes the writer. What happens to the
    slots depends on the platform, and the finding says which case it reasoned with:

    - Aurora: Aurora keeps WAL on the shared cluster volume that the promoted instance takes
      over and has no streaming standby to synchronize slots to; AWS does not state in so many
      words that logical slots survive a failover (CDC011 says the same). So check them.
    - RDS for PostgreSQL 17 and later: only slots created with `failover = true` are
      synchronized to a read replica set up for it (`sync_replication_slots`,
      `rds.logical_slot_sync_dbname`); other slots are missing after a promotion.
    - RDS before 17: no slot synchronization exists; a slot can be missing or behind.

    A connector whose slot is missing or behind on the new writer fails, or loses or replays
    changes made around the failover. A failover also means the instance you audited may not
    be the writer now. Frequent failovers are a reason to plan for slot recreation and
    re-snapshots.

    ## How to fix
    On the current writer, check that every slot the connectors use exists and is
    advancing: `SELECT slot_name, active, confirmed_flush_lsn, wal_status FROM
    pg_replication_slots;` (and on Aurora `SELECT aurora_db_instance_identifier();` to see
    which instance you are on). Recreate a missing slot and re-snapshot the affected tables.
    Find out why the failover happened before CDC goes live.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Events.Messages.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html
    - https://www.postgresql.org/docs/17/logicaldecoding-explanation.html#LOGICALDECODING-REPLICATION-SLOTS-SYNCHRONIZATION
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Replication.Logical.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.pglogical.slot.synchronization.html
    """
    aws = aws_facts_for(facts)
    if aws is None:
        return
    events = [e for e in known(facts, aws.events, "aws.events") if is_failover(e)]
    if not events:
        return
    major = facts.platform.major
    if aws.cluster is not None:
        subject, target = f"cluster:{aws.cluster.identifier}", aws.cluster.identifier
    else:
        target = aws.writer.instance_id if aws.writer else "the instance"
        subject = f"instance:{target}"
    latest = events[-1]
    if aws.is_cluster:
        consequence = f"{AURORA_SLOTS}: check that every connector slot exists and advances"
    elif major is None:
        consequence = (
            "the server version is unknown, so whether slots follow a failover is too: "
            "re-check every slot"
        )
    elif major >= FAILOVER_SLOTS_SINCE:
        consequence = (
            f"PostgreSQL {major} synchronises to a read replica only slots created with "
            "failover = true: check that the connectors' slots exist and advance on the "
            "current writer"
        )
    else:
        consequence = (
            f"PostgreSQL {major} does not synchronise slots to the new writer: re-check every slot"
        )
    hours = aws.window_hours
    window = f"in the last {hours:g} h" if hours is not None else "in the look-back window"
    yield Finding(
        subject=subject,
        message=(
            f"{target} had {len(events)} failover event(s) {window} "
            f"(latest {latest.date:%Y-%m-%d %H:%M} UTC: {latest.message}); {consequence}"
        ),
        evidence={
            "events": [
                {"date": e.date.isoformat(), "source": e.source_id, "message": e.message}
                for e in events
            ],
            "server_major": major,
            "source": AURORA_SOURCE if aws.is_cluster else RDS_SLOT_SYNC,
        },
        fix=Fix(
            steps=(
                sql(
                    "SELECT slot_name, slot_type, active, confirmed_flush_lsn, wal_status\n"
                    "  FROM pg_replication_slots;"
                ),
                *([sql("SELECT aurora_db_instance_identifier();")] if aws.is_cluster else []),
            )
        ),
    )
