-- publication_schemas.sql: FOR TABLES IN SCHEMA members of each publication (PostgreSQL 15+): new
-- tables in those schemas join the publication by themselves. Feeds Publication.schemas.
SELECT
    p.pubname::text AS publication,
    array_agg(format('%I', n.nspname) ORDER BY n.nspname) AS schemas
FROM pg_publication_namespace AS pn
JOIN pg_publication AS p ON p.oid = pn.pnpubid
JOIN pg_namespace AS n ON n.oid = pn.pnnspid
GROUP BY p.pubname
