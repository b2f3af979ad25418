-- walinspect_groups.sql: WAL records between two LSNs (pg_walinspect, PostgreSQL 15+), grouped by
-- resource manager, record type and (for Heap/Heap2) the relation of block 0. Reads WAL files
-- only, no lock. Feeds Facts.walinspect, the input of the pg_walinspect WAL overhead predictor.
-- {schema} is the extension schema, an identifier composed with psycopg.sql (never concatenated).
WITH db AS (
    SELECT oid AS dboid, dattablespace FROM pg_database WHERE datname = current_database()
),
records AS (
    SELECT
        r.resource_manager,
        r.record_type,
        r.record_length,
        r.fpi_length,
        r.description,
        r.block_ref,
        CASE WHEN r.resource_manager IN ('Heap', 'Heap2') THEN
            regexp_match(r.block_ref, 'blkref #0: rel (\d+)/(\d+)/(\d+)')
        END AS rel
    FROM {schema}.pg_get_wal_records_info(%(start_lsn)s::pg_lsn, %(end_lsn)s::pg_lsn) AS r
),
located AS (
    SELECT
        records.*,
        rel[3]::oid AS relfilenode,
        CASE
            WHEN rel IS NULL THEN NULL
            WHEN rel[2]::oid = db.dboid THEN pg_filenode_relation(
                CASE WHEN rel[1]::oid = db.dattablespace THEN 0 ELSE rel[1]::oid END, rel[3]::oid)
            WHEN rel[2]::oid = 0 THEN pg_filenode_relation(rel[1]::oid, rel[3]::oid)
        END AS relid,
        rel IS NOT NULL AND rel[2]::oid NOT IN (db.dboid, 0) AS other_database
    FROM records CROSS JOIN db
)
SELECT
    l.resource_manager,
    l.record_type,
    CASE WHEN c.oid IS NOT NULL THEN format('%%I.%%I', n.nspname, c.relname) END AS relation,
    l.relfilenode::bigint AS relfilenode,
    coalesce(n.nspname = 'pg_catalog' OR c.oid < 16384, false) AS catalog,
    l.other_database,
    count(*)::bigint AS records,
    sum(l.record_length)::bigint AS record_bytes,
    sum(l.fpi_length)::bigint AS fpi_bytes,
    sum((l.record_length + 7) / 8 * 8)::bigint AS aligned_bytes,
    coalesce(sum(regexp_count(l.block_ref, '\(FPW\)')), 0)::bigint AS block_images,
    count(*) FILTER (WHERE l.block_ref LIKE '%%blkref #1:%%')::bigint AS two_block_records,
    count(*) FILTER (WHERE coalesce(l.fpi_length, 0) = 0)::bigint AS noimage_records,
    coalesce(sum(l.record_length) FILTER (WHERE coalesce(l.fpi_length, 0) = 0), 0)::bigint
        AS noimage_bytes,
    coalesce(sum(coalesce(
        substring(l.description FROM '(\d+) tuples')::bigint,
        substring(l.description FROM 'ntuples: (\d+)')::bigint
    )) FILTER (WHERE l.record_type LIKE 'MULTI_INSERT%%'), 0)::bigint AS tuples,
    count(*) FILTER (WHERE l.description LIKE '%%inval msgs:%%')::bigint AS inval_records,
    coalesce(sum(regexp_count(
        substring(l.description FROM 'inval msgs:([^;]*)'),
        '\m(catcache|catalog|relcache|snapshot|smgr|relmap|relsync|unrecognized)\M'
    )), 0)::bigint AS inval_messages
FROM located AS l
LEFT JOIN pg_class AS c ON c.oid = l.relid
LEFT JOIN pg_namespace AS n ON n.oid = c.relnamespace
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3
