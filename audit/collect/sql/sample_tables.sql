-- sample_tables.sql: row-change counters of every table of this database, system catalogs included
-- (catalog churn such as temporary tables costs extra WAL under wal_level=logical), read once per
-- sample. n_tup_newpage_upd exists from PostgreSQL 16 on (NULL before). Feeds
-- Sampling.table_deltas (the "row_changes" method, and the WAL overhead model's per-table input).
SELECT
    s.relid::bigint AS relid,
    format('%I.%I', s.schemaname, s.relname) AS qualified_name,
    s.n_tup_ins,
    s.n_tup_upd,
    s.n_tup_del,
    s.n_tup_hot_upd,
    (to_jsonb(s) ->> 'n_tup_newpage_upd')::bigint AS n_tup_newpage_upd
FROM pg_stat_all_tables AS s
WHERE s.schemaname <> 'information_schema' AND s.schemaname !~ '^pg_(toast|temp_|toast_temp_)'
