-- wal_lsn.sql: the current WAL position (write position on a primary, last received or replayed on
-- a standby). Feeds Facts.current_wal_lsn, slot retention and the sampler's "lsn" method. Fails on
-- Aurora until logical replication is on, and for a role without EXECUTE on pg_current_wal_lsn().
SELECT (
    CASE WHEN pg_is_in_recovery()
        THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())
        ELSE pg_current_wal_lsn()
    END
)::text AS lsn
