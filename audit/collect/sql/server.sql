-- server.sql: identity and state of the server. Feeds Facts.server (platform detection, version
-- gates, uptime).
SELECT
    current_setting('server_version') AS version,
    current_setting('server_version_num')::int AS version_num,
    pg_is_in_recovery() AS in_recovery,
    current_database() AS current_database,
    current_user AS "current_user",
    pg_postmaster_start_time() AS started_at,
    current_setting('data_checksums')::bool AS data_checksums,
    EXISTS (SELECT 1 FROM pg_settings WHERE name LIKE 'rds.%')
        OR EXISTS (SELECT 1 FROM pg_database WHERE datname = 'rdsadmin') AS is_rds,
    (
        SELECT d.stats_reset FROM pg_stat_database AS d WHERE d.datname = current_database()
    ) AS stats_reset,
    EXISTS (
        SELECT 1 FROM pg_proc WHERE proname = 'aurora_version' AND pronargs = 0
    ) AS has_aurora_version,
    has_function_privilege('pg_control_system()', 'EXECUTE') AS can_read_control
