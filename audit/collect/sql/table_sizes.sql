-- table_sizes.sql: measured heap (main fork), TOAST (with its index) and index bytes of the largest
-- tables by planner pages, and of tables never vacuumed or analyzed (whose planner pages may be
-- stale), at most 1,000. Feeds Table.*_bytes (size_source "pg_relation_size"): snapshot duration
-- and storage estimates; the other tables keep the planner's pages x block size. Each size call
-- builds the relation's cache entry and takes a brief ACCESS SHARE lock (waiting at most
-- lock_timeout on a table locked exclusively), which is why it is not run on every table.
WITH largest AS (
    SELECT c.oid, c.reltoastrelid
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r'
        AND c.relpersistence <> 't'
        AND n.nspname <> 'information_schema'
        AND n.nspname !~ '^pg_'
    ORDER BY c.reltuples < 0 DESC, c.relpages DESC
    LIMIT 1000
)
SELECT
    l.oid::bigint AS oid,
    pg_relation_size(l.oid) AS heap_bytes,
    CASE WHEN l.reltoastrelid <> 0 THEN pg_total_relation_size(l.reltoastrelid) ELSE 0 END
        AS toast_bytes,
    pg_indexes_size(l.oid) AS index_bytes
FROM largest AS l
