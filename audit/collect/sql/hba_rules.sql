-- hba_rules.sql: the lines of pg_hba.conf (and its includes, 16+) as the file reads now, in match
-- order. Feeds Facts.hba_rules: which line a connector's connection would meet (CDC311). The
-- options column is left out: it can hold an LDAP or RADIUS secret. pg_hba_file_rules is
-- readable by superusers only by default; rule_number and file_name exist from 16 on, so the row
-- is read as JSON and the collector keeps the columns it knows.
SELECT to_jsonb(h) - 'options' AS line
FROM pg_hba_file_rules AS h
