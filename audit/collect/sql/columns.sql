-- columns.sql: per table (same set as tables.sql), its number of columns, the columns that can be
-- TOASTed (with pg_stats.avg_width), the columns of types CDC tools handle specially, and generated
-- columns. Feeds Table.toastable_columns / special_columns / generated_columns (CDC1xx type
-- rules, unchanged-TOAST handling, row width estimates).
WITH tables AS (
    SELECT c.oid, n.nspname, c.relname, c.relkind
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')
        AND c.relpersistence <> 't'
        AND n.nspname <> 'information_schema'
        AND n.nspname !~ '^pg_'
),
columns AS (
    SELECT
        a.attrelid,
        a.attnum,
        a.attname::text AS name,
        format_type(a.atttypid, a.atttypmod) AS type,
        a.attstorage <> 'p' AS toastable,
        a.attgenerated <> '' AS generated,
        st.avg_width,
        array_remove(ARRAY[
            CASE WHEN t.typcategory = 'A' THEN 'array' END,
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
            CASE WHEN b.typtype = 'b' AND b.typnamespace <> 'pg_catalog'::regnamespace
                AND b.typname NOT IN ('hstore', 'geometry', 'geography', 'raster', 'box2d', 'box3d')
                THEN 'extension_type' END
        ], NULL) AS kinds
    FROM pg_attribute AS a
    JOIN tables AS tb ON tb.oid = a.attrelid
    JOIN pg_type AS t ON t.oid = a.atttypid
    JOIN pg_type AS b ON b.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
    LEFT JOIN pg_stats AS st
        ON st.schemaname = tb.nspname
        AND st.tablename = tb.relname
        AND st.attname = a.attname
        AND st.inherited = (tb.relkind = 'p')
    WHERE a.attnum > 0 AND NOT a.attisdropped
)
SELECT
    attrelid::bigint AS oid,
    count(*) AS column_count,
    coalesce(jsonb_agg(
        jsonb_build_object('name', name, 'type', type, 'avg_width', avg_width) ORDER BY attnum
    ) FILTER (WHERE toastable), '[]'::jsonb) AS toastable_columns,
    coalesce(jsonb_agg(
        jsonb_build_object('name', name, 'type', type, 'kinds', kinds) ORDER BY attnum
    ) FILTER (WHERE cardinality(kinds) > 0), '[]'::jsonb) AS special_columns,
    coalesce(array_agg(name ORDER BY attnum) FILTER (WHERE generated), '{}') AS generated_columns
FROM columns
GROUP BY attrelid
