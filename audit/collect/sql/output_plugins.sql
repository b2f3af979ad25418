-- output_plugins.sql: whether the shared library of each logical decoding output plugin named in
-- %(plugins)s lies in the server's package library directory (pg_config's PKGLIBDIR), the way
-- a slot would load it. Needs SELECT on pg_config and EXECUTE on pg_stat_file (superuser by
-- default); a role without them gets "permission denied" and the fact stays unknown. Reads file
-- metadata only. Feeds Facts.output_plugins (CDC019).
SELECT
    p.name,
    bool_or((pg_stat_file(c.setting || '/' || p.name || s.suffix, true)).size IS NOT NULL)
        AS present
FROM pg_config AS c
CROSS JOIN unnest(%(plugins)s::text[]) AS p (name)
CROSS JOIN (VALUES ('.so'), ('.dylib'), ('.dll')) AS s (suffix)
WHERE c.name = 'PKGLIBDIR'
GROUP BY p.name
ORDER BY p.name
