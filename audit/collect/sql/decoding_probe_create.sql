-- decoding_probe_create.sql: the decoding probe's TEMPORARY logical slot (--probe-decoding only;
-- the one statement of an audit that creates something). A temporary slot belongs to this
-- session: the server drops it when the session ends, whatever ends it. Creating it waits for
-- the transactions running now to finish (bounded by the probe's statement_timeout).
-- Feeds Facts.decoding_probe.start_lsn.
SELECT slot_name::text AS slot_name, lsn::text AS lsn
FROM pg_create_logical_replication_slot(%(slot)s, %(plugin)s, temporary => true)
