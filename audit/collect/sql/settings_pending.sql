-- settings_pending.sql: the last configuration-file line for each setting (postgresql.conf,
-- includes, postgresql.auto.conf), whether the running server applied it and why not. Feeds
-- Setting.pending_* (CDC0xx "changed but not applied"). pg_file_settings is readable by superusers
-- only by default.
SELECT DISTINCT ON (name)
    name,
    setting AS value,
    applied,
    error,
    sourcefile || ':' || sourceline AS source
FROM pg_file_settings
WHERE name IS NOT NULL
ORDER BY name, seqno DESC
