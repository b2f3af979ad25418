-- sequences.sql: every sequence and the column that owns it (serial or identity); logical decoding
-- does not replicate sequence values. Catalog only: reading last_value would lock each sequence.
-- Feeds Facts.sequences.
WITH owners AS (
    SELECT
        d.objid,
        format('%I.%I.%I', tn.nspname, tc.relname, a.attname) AS owned_by,
        d.deptype = 'i' AS identity
    FROM pg_depend AS d
    JOIN pg_class AS tc ON tc.oid = d.refobjid
    JOIN pg_namespace AS tn ON tn.oid = tc.relnamespace
    JOIN pg_attribute AS a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass
        AND d.refclassid = 'pg_class'::regclass
        AND d.deptype IN ('a', 'i')
        AND d.refobjsubid > 0
)
SELECT
    format('%I.%I', n.nspname, c.relname) AS qualified_name,
    format_type(s.seqtypid, NULL) AS data_type,
    o.owned_by,
    coalesce(o.identity, false) AS identity
FROM pg_sequence AS s
JOIN pg_class AS c ON c.oid = s.seqrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN owners AS o ON o.objid = c.oid
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
ORDER BY n.nspname, c.relname
