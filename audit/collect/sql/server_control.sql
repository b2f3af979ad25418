-- server_control.sql: the cluster's system identifier from pg_control. Feeds
-- Server.system_identifier.
SELECT system_identifier::text AS system_identifier FROM pg_control_system()
