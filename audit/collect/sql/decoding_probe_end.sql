-- decoding_probe_end.sql: where the WAL is after the probe's span, and how much the span wrote.
-- Feeds Facts.decoding_probe.end_lsn / wal_bytes.
SELECT pg_current_wal_lsn()::text AS lsn,
       pg_wal_lsn_diff(pg_current_wal_lsn(), %(start)s::pg_lsn)::bigint AS wal_bytes
