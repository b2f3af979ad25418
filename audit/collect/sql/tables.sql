-- tables.sql: every ordinary and partitioned table (partitions included) with its replica identity,
-- keys, row-level security, planner estimates (rows, pages of heap, TOAST and indexes), average row
-- width from pg_stats, fillfactor, how closely its B-tree indexes follow the heap order
-- (pg_stats.correlation of their leading columns), activity counters, and its columns: TOAST-able
-- ones with their widths, types CDC tools handle specially, generated ones. Catalog and statistics reads only, no lock on
-- any user table. Feeds Facts.tables: replica identity and column type rules (CDC1xx), snapshot
-- and WAL estimates. Measured sizes of the largest tables come from table_sizes.sql.
-- {newpage_updates} is filled by version (see audit/collect/counters.py). The column lists are NULL
-- when empty (fewer JSON values to decode).
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
        c.reltoastrelid,
        c.relrowsecurity,
        c.reloptions
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')
        AND c.relpersistence <> 't'
        AND n.nspname <> 'information_schema'
        AND n.nspname !~ '^pg_'
),
partition_parents AS (
    SELECT inh.inhrelid AS relid, format('%I.%I', pn.nspname, pc.relname) AS parent
    FROM pg_inherits AS inh
    JOIN pg_class AS child ON child.oid = inh.inhrelid AND child.relispartition
    JOIN pg_class AS pc ON pc.oid = inh.inhparent
    JOIN pg_namespace AS pn ON pn.oid = pc.relnamespace
),
column_stats AS (
    SELECT st.schemaname, st.tablename, st.attname, st.inherited, st.avg_width, st.correlation
    FROM pg_stats AS st
    WHERE st.schemaname <> 'information_schema' AND st.schemaname !~ '^pg_'
),
columns AS (
    SELECT
        a.attrelid,
        a.attnum,
        a.attname::text AS name,
        a.attnotnull AS not_null,
        format_type(a.atttypid, a.atttypmod) AS type,
        a.attstorage <> 'p' AS toastable,
        a.attgenerated <> '' AS generated,
        st.avg_width,
        st.correlation,
        array_remove(ARRAY[
            CASE WHEN ty.typcategory = 'A' THEN 'array' END,
            CASE WHEN b.typtype = 'e' THEN 'enum' END,
            CASE WHEN b.typtype = 'd' THEN 'domain' END,
            CASE WHEN b.typtype = 'c' THEN 'composite' END,
            CASE WHEN b.typtype IN ('r', 'm') THEN 'range' END,
            CASE WHEN b.oid = 'money'::regtype THEN 'money' END,
            CASE WHEN b.oid = 'xml'::regtype THEN 'xml' END,
            CASE WHEN b.typname = 'hstore' THEN 'hstore' END,
            CASE WHEN b.typname IN ('geometry', 'geography', 'raster', 'box2d', 'box3d')
                THEN 'postgis' END,
            CASE WHEN a.atttypid = 'numeric'::regtype AND a.atttypmod = -1
                THEN 'numeric_unconstrained' END,
            CASE WHEN b.typcategory = 'G' THEN 'geometric' END,
            CASE WHEN b.oid IN ('inet'::regtype, 'cidr'::regtype, 'macaddr'::regtype,
                'macaddr8'::regtype) THEN 'network' END,
            CASE WHEN b.oid IN ('tsvector'::regtype, 'tsquery'::regtype) THEN 'text_search' END,
            CASE WHEN b.typtype = 'b' AND b.typnamespace <> 'pg_catalog'::regnamespace
                AND b.typname NOT IN ('hstore', 'geometry', 'geography', 'raster', 'box2d', 'box3d')
                THEN 'extension_type' END
        ], NULL) AS kinds
    FROM pg_attribute AS a
    JOIN tables AS t ON t.oid = a.attrelid
    JOIN pg_type AS ty ON ty.oid = a.atttypid
    JOIN pg_type AS b ON b.oid = CASE WHEN ty.typcategory = 'A' THEN ty.typelem ELSE ty.oid END
    LEFT JOIN column_stats AS st
        ON st.schemaname = t.nspname
        AND st.tablename = t.relname
        AND st.attname = a.attname
        AND st.inherited = (t.relkind = 'p')
    WHERE a.attnum > 0 AND NOT a.attisdropped
),
indexes AS (
    SELECT i.*, ix.relname AS index_name, ix.relam, greatest(ix.relpages, 0) AS index_pages
    FROM pg_index AS i
    JOIN tables AS t ON t.oid = i.indrelid
    JOIN pg_class AS ix ON ix.oid = i.indexrelid
),
-- the least |correlation| of the B-tree indexes' leading columns: rows one index scan reaches in
-- key order sit on consecutive pages only as far as it is near 1 (an expression or a column not
-- analyzed counts 0); NULL when no leading column is analyzed
index_order AS (
    SELECT
        i.indrelid AS relid,
        CASE WHEN count(c.correlation) > 0
            THEN min(abs(coalesce(c.correlation, 0)))
        END::float8 AS correlation
    FROM indexes AS i
    JOIN pg_am AS am ON am.oid = i.relam AND am.amname = 'btree'
    LEFT JOIN columns AS c ON c.attrelid = i.indrelid AND c.attnum = i.indkey[0]
    GROUP BY i.indrelid
),
index_columns AS (
    SELECT i.indexrelid, i.indrelid, k.ord, c.name, c.not_null
    FROM indexes AS i
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
    JOIN columns AS c ON c.attrelid = i.indrelid AND c.attnum = k.attnum
    WHERE k.ord <= i.indnkeyatts
),
index_summary AS (
    SELECT
        i.indrelid AS relid,
        sum(i.index_pages) AS pages,
        max(format('%I', i.index_name)) FILTER (WHERE i.indisreplident) AS identity_index,
        bool_or(i.indisvalid) FILTER (WHERE i.indisreplident) AS identity_index_valid,
        array_agg(format('%I', i.index_name) ORDER BY i.index_name) FILTER (
            WHERE i.indisunique
                AND i.indimmediate
                AND i.indisvalid
                AND i.indpred IS NULL
                AND i.indexprs IS NULL
                AND NOT EXISTS (
                    SELECT 1 FROM index_columns AS ic
                    WHERE ic.indexrelid = i.indexrelid AND NOT ic.not_null
                )
        ) AS unique_candidates
    FROM indexes AS i
    GROUP BY i.indrelid
),
primary_keys AS (
    SELECT ic.indrelid AS relid, array_agg(ic.name ORDER BY ic.ord) AS columns
    FROM indexes AS i
    JOIN index_columns AS ic ON ic.indexrelid = i.indexrelid
    WHERE i.indisprimary
    GROUP BY ic.indrelid
),
toast_pages AS (
    SELECT
        t.oid AS relid,
        greatest(tc.relpages, 0) + coalesce(sum(greatest(ti.relpages, 0)), 0) AS pages
    FROM tables AS t
    JOIN pg_class AS tc ON tc.oid = t.reltoastrelid
    LEFT JOIN pg_index AS i ON i.indrelid = tc.oid
    LEFT JOIN pg_class AS ti ON ti.oid = i.indexrelid
    GROUP BY t.oid, tc.relpages
),
column_summary AS (
    SELECT
        attrelid AS relid,
        count(*) AS column_count,
        sum(avg_width) AS analyzed_width,
        count(avg_width) AS analyzed_columns,
        jsonb_agg(
            jsonb_build_object('name', name, 'type', type, 'avg_width', avg_width) ORDER BY attnum
        ) FILTER (WHERE toastable) AS toastable_columns,
        jsonb_agg(
            jsonb_build_object('name', name, 'type', type, 'kinds', kinds) ORDER BY attnum
        ) FILTER (WHERE cardinality(kinds) > 0) AS special_columns,
        jsonb_agg(name ORDER BY attnum) FILTER (WHERE generated) AS generated_columns
    FROM columns
    GROUP BY attrelid
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
    ix.identity_index,
    ix.identity_index_valid,
    coalesce(ix.unique_candidates, ARRAY[]::text[]) AS unique_candidates,
    CASE WHEN t.reltuples >= 0 THEN t.reltuples::float8 END AS reltuples,
    -- relpages is -1 for a partitioned parent once analyzed (it has no storage): never negative
    CASE WHEN t.relkind = 'p' THEN 0 ELSE greatest(t.relpages, 0) END::bigint
        * current_setting('block_size')::bigint AS heap_bytes,
    coalesce(tp.pages, 0)::bigint * current_setting('block_size')::bigint AS toast_bytes,
    coalesce(ix.pages, 0)::bigint * current_setting('block_size')::bigint AS index_bytes,
    (SELECT o.option_value::int FROM pg_options_to_table(t.reloptions) AS o
        WHERE o.option_name = 'fillfactor') AS fillfactor,
    io.correlation AS index_correlation,
    CASE WHEN cs.analyzed_columns > 0 THEN 24 + cs.analyzed_width END::float8 AS analyzed_row_bytes,
    pg_stat_get_tuples_inserted(t.oid) AS n_tup_ins,
    pg_stat_get_tuples_updated(t.oid) AS n_tup_upd,
    pg_stat_get_tuples_deleted(t.oid) AS n_tup_del,
    pg_stat_get_tuples_hot_updated(t.oid) AS n_tup_hot_upd,
    {newpage_updates} AS n_tup_newpage_upd,
    pg_stat_get_live_tuples(t.oid) AS n_live_tup,
    greatest(pg_stat_get_last_analyze_time(t.oid), pg_stat_get_last_autoanalyze_time(t.oid))
        AS last_analyze,
    has_table_privilege(t.oid, 'SELECT') AS can_select,
    t.relrowsecurity AS row_security,
    coalesce(cs.column_count, 0) AS column_count,
    cs.toastable_columns,
    cs.special_columns,
    cs.generated_columns
FROM tables AS t
LEFT JOIN primary_keys AS pk ON pk.relid = t.oid
LEFT JOIN index_summary AS ix ON ix.relid = t.oid
LEFT JOIN toast_pages AS tp ON tp.relid = t.oid
LEFT JOIN partition_parents AS pp ON pp.relid = t.oid
LEFT JOIN column_summary AS cs ON cs.relid = t.oid
LEFT JOIN index_order AS io ON io.relid = t.oid
