-- role_settings.sql: per-role and per-database defaults (ALTER ROLE / ALTER DATABASE ... SET) of
-- the settings named (passed in), from pg_db_role_setting, which every role may read. A session
-- of that role in that database starts with them, overriding the server's value. Feeds
-- Facts.role_settings (CDC310: timeouts the connector's sessions inherit).
SELECT
    d.datname::text AS database,
    r.rolname::text AS role,
    split_part(c.line, '=', 1) AS name,
    substr(c.line, strpos(c.line, '=') + 1) AS value
FROM pg_db_role_setting AS s
LEFT JOIN pg_database AS d ON d.oid = s.setdatabase
LEFT JOIN pg_roles AS r ON r.oid = s.setrole
CROSS JOIN LATERAL unnest(s.setconfig) AS c (line)
WHERE split_part(c.line, '=', 1) = ANY(%(names)s)
ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3
