-- settings.sql: running values of the settings the rules and estimates read (names passed in),
-- every rds.* / aurora.* setting, and anything waiting for a restart. Feeds Facts.settings
-- (CDC0xx). A setting the audit session itself SET (idle_in_transaction_session_timeout) is
-- reported with the value every other session gets (reset_val); where that value came from is then
-- unknown.
SELECT
    name,
    CASE WHEN source = 'session' THEN reset_val ELSE setting END AS value,
    unit,
    CASE WHEN source <> 'session' THEN source END AS source,
    context,
    vartype,
    boot_val AS boot_value,
    pending_restart
FROM pg_settings
WHERE name = ANY(%(names)s)
    OR name ~ '^(rds|aurora)\.'
    OR pending_restart
UNION ALL
-- A requested name no loaded module defines but the configuration sets is a placeholder, which
-- pg_settings does not list (rds.logical_replication on community PostgreSQL, as in the demo).
-- Placeholders always have a dotted name; built-in settings that pg_settings hides from a role
-- without pg_read_all_settings (config_file, ...) have none, and current_setting() would refuse.
SELECT name, current_setting(name, true), NULL, NULL, NULL, NULL, NULL, false
FROM unnest(%(names)s::text[]) AS name
WHERE name LIKE '%%.%%'
    AND name NOT IN (SELECT name FROM pg_settings)
    AND current_setting(name, true) IS NOT NULL
ORDER BY name
