-- sample_slots.sql: where every replication slot stands, read once per sample right after the WAL
-- position (columns that exist on every supported version, 13+). Feeds WalSample.slots: the WAL
-- each slot retains, and what its consumer confirmed, over the window (CDC208).
SELECT
    slot_name::text AS slot_name,
    slot_type,
    active,
    restart_lsn::text AS restart_lsn,
    confirmed_flush_lsn::text AS confirmed_flush_lsn
FROM pg_replication_slots
ORDER BY slot_name
