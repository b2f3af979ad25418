-- tables.sql: every ordinary and partitioned table (partitions included) with its replica identity,
-- keys, planner row estimate, average row width from pg_stats and activity counters; catalog reads
-- only, no lock on any user table. Feeds Facts.tables: replica identity rules (CDC1xx), snapshot
-- and WAL estimates. Sizes come from table_sizes.sql.
WITH tables AS (
    SELECT
        c.oid,
        n.nspname,
        c.relname,
        c.relkind,
        c.relpersistence,
        c.relowner,
        c.relreplident,
        c.reltuples,
        c.relpages,
        c.relrowsecurity
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')
        AND c.relpersistence <> 't'
        AND n.nspname <> 'information_schema'
        AND n.nspname !~ '^pg_'
),
index_columns AS (
    SELECT i.indexrelid, i.indrelid, k.ord, a.attname, a.attnotnull
    FROM pg_index AS i
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
    JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE k.ord <= i.indnkeyatts
),
primary_keys AS (
    SELECT ic.indrelid AS relid, array_agg(ic.attname::text ORDER BY ic.ord) AS columns
    FROM pg_index AS i
    JOIN index_columns AS ic ON ic.indexrelid = i.indexrelid
    WHERE i.indisprimary
    GROUP BY ic.indrelid
),
identity_indexes AS (
    SELECT i.indrelid AS relid, format('%I', ix.relname) AS name, i.indisvalid AS valid
    FROM pg_index AS i
    JOIN pg_class AS ix ON ix.oid = i.indexrelid
    WHERE i.indisreplident
),
unique_candidates AS (
    SELECT i.indrelid AS relid, array_agg(format('%I', ix.relname) ORDER BY ix.relname) AS names
    FROM pg_index AS i
    JOIN pg_class AS ix ON ix.oid = i.indexrelid
    WHERE i.indisunique
        AND i.indimmediate
        AND i.indisvalid
        AND i.indpred IS NULL
        AND i.indexprs IS NULL
        AND NOT EXISTS (
            SELECT 1 FROM index_columns AS ic
            WHERE ic.indexrelid = i.indexrelid AND NOT ic.attnotnull
        )
    GROUP BY i.indrelid
),
partition_parents AS (
    SELECT inh.inhrelid AS relid, format('%I.%I', pn.nspname, pc.relname) AS parent
    FROM pg_inherits AS inh
    JOIN pg_class AS child ON child.oid = inh.inhrelid AND child.relispartition
    JOIN pg_class AS pc ON pc.oid = inh.inhparent
    JOIN pg_namespace AS pn ON pn.oid = pc.relnamespace
),
analyzed_widths AS (
    SELECT schemaname, tablename, inherited, 24 + sum(avg_width) AS row_bytes
    FROM pg_stats
    GROUP BY schemaname, tablename, inherited
)
SELECT
    t.oid::bigint AS oid,
    t.nspname::text AS schema_name,
    t.relname::text AS name,
    format('%I.%I', t.nspname, t.relname) AS qualified_name,
    CASE t.relkind WHEN 'p' THEN 'partitioned' ELSE 'table' END AS kind,
    pp.parent,
    t.relpersistence = 'u' AS unlogged,
    pg_get_userbyid(t.relowner)::text AS owner,
    CASE t.relreplident
        WHEN 'd' THEN 'default'
        WHEN 'n' THEN 'nothing'
        WHEN 'f' THEN 'full'
        WHEN 'i' THEN 'index'
    END AS replica_identity,
    pk.columns AS primary_key,
    ii.name AS identity_index,
    ii.valid AS identity_index_valid,
    coalesce(uc.names, '{}') AS unique_candidates,
    CASE WHEN t.reltuples >= 0 THEN t.reltuples::float8 END AS reltuples,
    t.relpages::bigint * current_setting('block_size')::bigint AS relpages_bytes,
    aw.row_bytes::float8 AS analyzed_row_bytes,
    s.n_tup_ins,
    s.n_tup_upd,
    s.n_tup_del,
    s.n_tup_hot_upd,
    (to_jsonb(s) ->> 'n_tup_newpage_upd')::bigint AS n_tup_newpage_upd,
    s.n_live_tup,
    greatest(s.last_analyze, s.last_autoanalyze) AS last_analyze,
    has_table_privilege(t.oid, 'SELECT') AS can_select,
    t.relrowsecurity AS row_security
FROM tables AS t
LEFT JOIN primary_keys AS pk ON pk.relid = t.oid
LEFT JOIN identity_indexes AS ii ON ii.relid = t.oid
LEFT JOIN unique_candidates AS uc ON uc.relid = t.oid
LEFT JOIN partition_parents AS pp ON pp.relid = t.oid
LEFT JOIN analyzed_widths AS aw
    ON aw.schemaname = t.nspname AND aw.tablename = t.relname AND aw.inherited = (t.relkind = 'p')
LEFT JOIN pg_stat_all_tables AS s ON s.relid = t.oid
ORDER BY t.nspname, t.relname
