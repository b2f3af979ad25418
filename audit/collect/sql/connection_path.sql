-- connection_path.sql: the session's ends as the server sees them, its own port setting and its
-- backend PID. Feeds Facts.connection_path: a pooler or proxy shows as a port, an address or a
-- process ID that differs from what the client asked for or was told (CDC312). can_read_hba:
-- whether hba_rules.sql may run (superusers only by default), asked first so that a refusal does
-- not become an error in the server's log.
SELECT
    host(inet_server_addr()) AS server_addr,
    inet_server_port() AS server_port,
    host(inet_client_addr()) AS client_addr,
    current_setting('port')::int AS port_setting,
    pg_backend_pid() AS backend_pid,
    has_table_privilege('pg_catalog.pg_hba_file_rules', 'SELECT')
    AND has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE') AS can_read_hba
