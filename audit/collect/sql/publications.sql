-- publications.sql: every publication, what it publishes (actions, FOR ALL TABLES, via root) and
-- its member tables with their column lists and row filters (15+). Version differences are absorbed
-- with to_jsonb. Feeds Facts.publications (CDC1xx, CDC3xx: what a connector will publish).
SELECT
    p.pubname::text AS name,
    pg_get_userbyid(p.pubowner)::text AS owner,
    p.puballtables AS all_tables,
    p.pubinsert AS "insert",
    p.pubupdate AS "update",
    p.pubdelete AS "delete",
    p.pubtruncate AS "truncate",
    (to_jsonb(p) ->> 'pubviaroot')::bool AS via_root,
    to_jsonb(p) ->> 'pubgencols' AS generated_columns,
    coalesce((
        SELECT jsonb_agg(
            jsonb_build_object(
                'qualified_name', format('%I.%I', pt.schemaname, pt.tablename),
                'columns', CASE WHEN to_jsonb(pr) ->> 'prattrs' IS NOT NULL
                    THEN to_jsonb(pt) -> 'attnames' END,
                'row_filter', to_jsonb(pt) ->> 'rowfilter'
            )
            ORDER BY pt.schemaname, pt.tablename
        )
        FROM pg_publication_tables AS pt
        JOIN pg_namespace AS n ON n.nspname = pt.schemaname
        JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname = pt.tablename
        LEFT JOIN pg_publication_rel AS pr ON pr.prpubid = p.oid AND pr.prrelid = c.oid
        WHERE pt.pubname = p.pubname AND NOT p.puballtables
    ), '[]'::jsonb) AS tables
FROM pg_publication AS p
ORDER BY p.pubname
