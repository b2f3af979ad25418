-- prepared_xacts.sql: prepared (two-phase) transactions and their age; they hold back the xmin
-- horizon and block slot creation until committed or rolled back. Feeds Facts.prepared_xacts.
SELECT
    gid,
    database::text AS database,
    owner::text AS owner,
    prepared AS prepared_at,
    age(transaction) AS xid_age
FROM pg_prepared_xacts
ORDER BY prepared
