-- role.sql: the auditing role's attributes, every role it belongs to (directly or through other
-- roles) and CREATE on the database. Feeds Facts.role: who may create slots and publications
-- (CDC3xx).
WITH RECURSIVE memberships (roleid) AS (
    SELECT m.roleid
    FROM pg_auth_members AS m
    JOIN pg_roles AS r ON r.oid = m.member
    WHERE r.rolname = current_user
    UNION
    SELECT m.roleid
    FROM pg_auth_members AS m
    JOIN memberships AS ms ON m.member = ms.roleid
)
SELECT
    r.rolname::text AS name,
    r.rolsuper AS superuser,
    r.rolreplication AS replication,
    r.rolbypassrls AS bypass_rls,
    ARRAY(
        SELECT g.rolname::text
        FROM memberships AS ms
        JOIN pg_roles AS g ON g.oid = ms.roleid
        ORDER BY g.rolname
    ) AS member_of,
    has_database_privilege(current_database(), 'CREATE') AS can_create_on_database
FROM pg_roles AS r
WHERE r.rolname = current_user
