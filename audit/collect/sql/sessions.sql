-- sessions.sql: other sessions that hold a transaction open for 10 s or more, sit idle in a
-- transaction, or hold back the xmin horizon: creating a logical slot waits for them, and they
-- stall vacuum. Feeds Facts.sessions. Without pg_read_all_stats other roles' sessions are hidden.
SELECT
    a.pid,
    a.usename::text AS "user",
    a.application_name,
    a.datname::text AS database,
    a.backend_type,
    a.state,
    a.xact_start AS xact_started_at,
    extract(epoch FROM clock_timestamp() - a.xact_start)::float8 AS xact_age_seconds,
    extract(epoch FROM clock_timestamp() - a.state_change)::float8 AS state_age_seconds,
    age(a.backend_xmin) AS backend_xmin_age,
    a.wait_event_type,
    a.wait_event
FROM pg_stat_activity AS a
WHERE a.pid <> pg_backend_pid()
    AND (
        a.state IN ('idle in transaction', 'idle in transaction (aborted)')
        OR a.xact_start < clock_timestamp() - interval '10 seconds'
        OR (a.backend_xmin IS NOT NULL AND a.xact_start IS NULL)
    )
ORDER BY a.xact_start NULLS LAST, a.pid
