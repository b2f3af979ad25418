-- archiver.sql: the WAL archiver's counters (pg_stat_archiver, readable by every role). Failed
-- archiving keeps WAL on disk whatever the slots have confirmed. Feeds Facts.archiver (CDC018).
SELECT
    archived_count,
    last_archived_wal,
    last_archived_time,
    failed_count,
    last_failed_wal,
    last_failed_time,
    stats_reset
FROM pg_stat_archiver
