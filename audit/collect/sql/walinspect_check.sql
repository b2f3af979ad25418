-- walinspect_check.sql: whether pg_walinspect is installed here and this role may call it, how far
-- WAL is flushed (pg_walinspect reads up to there) and wal_level. Catalog reads only. Feeds the
-- precondition of collect_walinspect (audit/collect/walinspect.py).
SELECT
    n.nspname::text AS schema,
    e.extversion::text AS version,
    has_function_privilege(
        format('%%I.pg_get_wal_records_info(pg_lsn, pg_lsn)', n.nspname), 'EXECUTE'
    ) AS can_execute,
    (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
        ELSE pg_current_wal_flush_lsn() END)::text AS flush_lsn,
    current_setting('wal_level') AS wal_level
FROM pg_extension AS e
JOIN pg_namespace AS n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_walinspect'
