-- decoding_probe_peek_pgoutput.sql: decode the span's WAL with pgoutput (protocol 1, the user's
-- publication) without consuming it, bounded by the end of the span and a number of changes.
-- One row per message type byte (B, C, I, U, D, R, T, Y...): messages, bytes, last position.
-- Feeds Facts.decoding_probe (pgoutput volume and decode time).
SELECT chr(get_byte(data, 0)) AS kind, count(*) AS messages,
       sum(octet_length(data))::bigint AS bytes, max(lsn)::text AS last_lsn
FROM pg_logical_slot_peek_binary_changes(%(slot)s, %(end)s::pg_lsn, %(max_changes)s,
                                         'proto_version', '1', 'publication_names', %(publication)s)
GROUP BY 1
