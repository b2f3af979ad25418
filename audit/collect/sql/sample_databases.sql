-- sample_databases.sql: instance-wide transaction and row counters, read once per sample. Feeds
-- WalSample.xact_* / tup_* (the "row_changes" method; WAL is shared by every database).
SELECT
    sum(xact_commit)::bigint AS xact_commit,
    sum(xact_rollback)::bigint AS xact_rollback,
    sum(tup_inserted)::bigint AS tup_inserted,
    sum(tup_updated)::bigint AS tup_updated,
    sum(tup_deleted)::bigint AS tup_deleted
FROM pg_stat_database
