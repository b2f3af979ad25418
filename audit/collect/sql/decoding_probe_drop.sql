-- decoding_probe_drop.sql: drop the probe's temporary slot, on every way out of the probe (the
-- temporary flag is the safety net: the server drops it when the session ends anyway).
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
WHERE slot_name = %(slot)s AND temporary AND active_pid = pg_backend_pid()
