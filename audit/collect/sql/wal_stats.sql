-- wal_stats.sql: cumulative WAL counters since their last reset (PostgreSQL 14+, not on Aurora).
-- Feeds Facts.wal_stats: the long-term WAL rate and full-page-image share beside the sampled one.
SELECT to_jsonb(w) AS counters FROM pg_stat_wal AS w
