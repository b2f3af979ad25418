-- sample_databases.sql: transaction and row counters of every database, read once per sample (WAL
-- is shared by all of them). Feeds WalSample.databases and its instance-wide sums (the
-- "row_changes" method).
SELECT
    datname::text AS database,
    xact_commit,
    xact_rollback,
    tup_inserted,
    tup_updated,
    tup_deleted
FROM pg_stat_database
WHERE datname IS NOT NULL
ORDER BY datname
