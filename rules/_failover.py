"""What happens to logical slots when the writer changes: one statement for CDC011 and CDC407."""

from __future__ import annotations

# PostgreSQL 17: failover slots synchronized to a physical standby (sync_replication_slots)
FAILOVER_SLOTS_SINCE = 17

AURORA_SLOTS = (
    "Aurora keeps WAL on the shared cluster volume that the promoted instance takes over, and "
    "has no streaming standby for PostgreSQL's slot synchronization to copy slots to; AWS "
    "does not state in so many words that logical slots survive a failover"
)
AURORA_SOURCE = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "AuroraPostgreSQL.Replication.Logical.html"
)
RDS_SLOT_SYNC = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/"
    "Appendix.PostgreSQL.CommonDBATasks.pglogical.slot.synchronization.html"
)
