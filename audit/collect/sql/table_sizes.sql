-- table_sizes.sql: heap (main fork), TOAST (with its index) and index bytes of every table listed by
-- tables.sql. Feeds Table.*_bytes: snapshot duration and storage estimates. The size functions take
-- a brief ACCESS SHARE lock per table, so a table locked exclusively makes this query wait up to
-- lock_timeout; tables.sql does not depend on it.
SELECT
    c.oid::bigint AS oid,
    pg_relation_size(c.oid) AS heap_bytes,
    CASE WHEN c.reltoastrelid <> 0 THEN pg_total_relation_size(c.reltoastrelid) ELSE 0 END AS toast_bytes,
    pg_indexes_size(c.oid) AS index_bytes
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
    AND c.relpersistence <> 't'
    AND n.nspname <> 'information_schema'
    AND n.nspname !~ '^pg_'
