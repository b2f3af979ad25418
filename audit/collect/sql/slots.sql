-- slots.sql: every replication slot with whatever columns this version of pg_replication_slots has
-- (to_jsonb), the WAL each one retains (from the current LSN, passed in) and its xmin ages.
-- Feeds Facts.slots: slot rules (CDC2xx) and WAL runway estimates.
SELECT
    to_jsonb(s) AS slot,
    pg_wal_lsn_diff(%(current_lsn)s::pg_lsn, s.restart_lsn)::bigint AS retained_bytes,
    age(s.xmin) AS xmin_age,
    age(s.catalog_xmin) AS catalog_xmin_age
FROM pg_replication_slots AS s
ORDER BY s.slot_name
