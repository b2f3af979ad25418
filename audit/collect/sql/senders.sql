-- senders.sql: every WAL sender streaming now (standbys and CDC clients), with its slot and lags.
-- Feeds Facts.senders. Without pg_read_all_stats, other roles' senders show only their pid.
SELECT
    r.pid,
    r.usename::text AS "user",
    r.application_name,
    host(r.client_addr) AS client_addr,
    r.state,
    s.slot_name::text AS slot_name,
    r.sent_lsn::text AS sent_lsn,
    r.write_lsn::text AS write_lsn,
    r.flush_lsn::text AS flush_lsn,
    r.replay_lsn::text AS replay_lsn,
    extract(epoch FROM r.write_lag)::float8 AS write_lag_seconds,
    extract(epoch FROM r.flush_lag)::float8 AS flush_lag_seconds,
    extract(epoch FROM r.replay_lag)::float8 AS replay_lag_seconds,
    r.sync_state,
    r.backend_start,
    r.reply_time
FROM pg_stat_replication AS r
LEFT JOIN pg_replication_slots AS s ON s.active_pid = r.pid
ORDER BY r.pid
