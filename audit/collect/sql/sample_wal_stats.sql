-- sample_wal_stats.sql: cumulative WAL counters (PostgreSQL 14+), read once per sample. Feeds
-- WalSample.wal_bytes / wal_records / wal_fpi (the "pg_stat_wal" method). Not supported on Aurora.
SELECT wal_records, wal_fpi, wal_bytes::bigint AS wal_bytes FROM pg_stat_wal
