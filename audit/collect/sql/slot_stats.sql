-- slot_stats.sql: decoding statistics of every logical slot (PostgreSQL 14+): spilled and streamed
-- transactions and bytes. Feeds Facts.slot_stats (logical_decoding_work_mem sizing).
SELECT to_jsonb(s) AS stats FROM pg_stat_replication_slots AS s ORDER BY s.slot_name
