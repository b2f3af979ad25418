-- extensions.sql: extensions installed in this database, and the CDC-relevant ones available to
-- install (names passed in). Feeds Facts.extensions (pglogical conflicts, pg_walinspect, ...).
SELECT
    a.name::text AS name,
    e.extversion AS installed_version,
    a.default_version,
    n.nspname::text AS schema_name
FROM pg_available_extensions AS a
LEFT JOIN pg_extension AS e ON e.extname = a.name
LEFT JOIN pg_namespace AS n ON n.oid = e.extnamespace
WHERE e.oid IS NOT NULL OR a.name = ANY(%(interesting)s)
UNION ALL
SELECT e.extname::text, e.extversion, NULL, n.nspname::text
FROM pg_extension AS e
JOIN pg_namespace AS n ON n.oid = e.extnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_available_extensions AS a WHERE a.name = e.extname)
ORDER BY 1
