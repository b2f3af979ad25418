-- server_aurora.sql: Aurora's engine version; run only when aurora_version() exists. Feeds
-- Server.aurora_version.
SELECT aurora_version()::text AS aurora_version
