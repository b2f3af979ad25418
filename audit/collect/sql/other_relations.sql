-- other_relations.sql: foreign tables and materialized views; logical decoding captures neither.
-- Feeds Facts.other_relations.
SELECT
    format('%I.%I', n.nspname, c.relname) AS qualified_name,
    CASE c.relkind WHEN 'f' THEN 'foreign_table' ELSE 'materialized_view' END AS kind
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('f', 'm')
    AND n.nspname <> 'information_schema'
    AND n.nspname !~ '^pg_'
ORDER BY n.nspname, c.relname
