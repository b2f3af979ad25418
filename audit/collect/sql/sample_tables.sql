-- sample_tables.sql: row-change counters of every table of this database, system catalogs included
-- (catalog churn such as temporary tables costs extra WAL under wal_level=logical), read once per
-- sample from the statistics functions. {newpage_updates} is filled by version (16+, see
-- audit/collect/counters.py). Feeds Sampling.table_deltas (the "row_changes" method, and the WAL
-- overhead model's per-table input) and WalSample.table_changes (its per-interval changes, the
-- same rows). seq_scan and idx_scan (index scans summed over the table's indexes, as
-- pg_stat_all_tables has them) feed Sampling.table_scans: rows changed per scan tell range changes
-- from single-row ones for the WAL model. Only the window's change is used, so they are read at
-- its first and last samples only ({read_scans} true; false elsewhere, where the planner folds
-- them to NULL: summing an index counter per index triples this query's cost).
SELECT
    t.oid::bigint AS relid,
    format('%I.%I', n.nspname, t.relname) AS qualified_name,
    pg_stat_get_tuples_inserted(t.oid) AS n_tup_ins,
    pg_stat_get_tuples_updated(t.oid) AS n_tup_upd,
    pg_stat_get_tuples_deleted(t.oid) AS n_tup_del,
    pg_stat_get_tuples_hot_updated(t.oid) AS n_tup_hot_upd,
    {newpage_updates} AS n_tup_newpage_upd,
    CASE WHEN {read_scans} THEN pg_stat_get_numscans(t.oid) END AS seq_scan,
    CASE WHEN {read_scans} THEN coalesce((
        SELECT sum(pg_stat_get_numscans(i.indexrelid))
        FROM pg_index AS i
        WHERE i.indrelid = t.oid
    ), 0) END::bigint AS idx_scan
FROM pg_class AS t
JOIN pg_namespace AS n ON n.oid = t.relnamespace
WHERE t.relkind IN ('r', 'p', 'm')
    AND n.nspname <> 'information_schema'
    AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
