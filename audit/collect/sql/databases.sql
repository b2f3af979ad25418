-- databases.sql: every database of the instance with its size, encoding, connections and activity
-- counters.
-- WAL is shared by all of them, so a busy database elsewhere fills an idle slot's retention
-- (heartbeats). Feeds Facts.databases and the long-term row-change rates (stats_reset).
SELECT
    d.datname::text AS name,
    CASE WHEN has_database_privilege(d.oid, 'CONNECT') OR pg_has_role('pg_read_all_stats', 'USAGE')
        THEN pg_database_size(d.oid)
    END AS size_bytes,
    d.datallowconn AS allow_connections,
    d.datistemplate AS is_template,
    pg_encoding_to_char(d.encoding)::text AS encoding,
    s.numbackends AS connections,
    s.xact_commit,
    s.xact_rollback,
    s.tup_inserted,
    s.tup_updated,
    s.tup_deleted,
    s.stats_reset,
    age(d.datfrozenxid) AS frozen_xid_age
FROM pg_database AS d
LEFT JOIN pg_stat_database AS s ON s.datid = d.oid
ORDER BY d.datname
