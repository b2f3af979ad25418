-- settings.sql: running values of the settings the rules and estimates read (names passed in), every
-- rds.* / aurora.* setting, and anything waiting for a restart. Feeds Facts.settings (CDC0xx, CDC4xx).
SELECT
    name,
    setting AS value,
    unit,
    source,
    context,
    vartype,
    boot_val AS boot_value,
    pending_restart
FROM pg_settings
WHERE name = ANY(%(names)s)
    OR name ~ '^(rds|aurora)\.'
    OR pending_restart
ORDER BY name
