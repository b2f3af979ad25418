-- sample_tables.sql: row-change counters of every user table in this database, read once per sample.
-- Feeds Sampling.table_deltas (the "row_changes" method, and the WAL overhead model's per-table input).
SELECT
    relid::bigint AS relid,
    format('%I.%I', schemaname, relname) AS qualified_name,
    n_tup_ins,
    n_tup_upd,
    n_tup_del,
    n_tup_hot_upd
FROM pg_stat_user_tables
