-- decoding_probe_peek_text.sql: decode the span's WAL with test_decoding (no publication was
-- given, so pgoutput cannot run) without consuming it, bounded like the pgoutput peek. Rows are
-- classified as pgoutput would send them: B(EGIN), C(OMMIT), I, U, D (row changes), T(RUNCATE),
-- M (messages). The byte count is test_decoding's text, not pgoutput's.
-- Feeds Facts.decoding_probe (events and decode time).
SELECT CASE WHEN data LIKE 'BEGIN%%' THEN 'B' WHEN data LIKE 'COMMIT%%' THEN 'C'
            WHEN data ~ '^table [^ ]+: INSERT:' THEN 'I'
            WHEN data ~ '^table [^ ]+: UPDATE:' THEN 'U'
            WHEN data ~ '^table [^ ]+: DELETE:' THEN 'D'
            WHEN data ~ '^table [^ ]+: TRUNCATE:' THEN 'T' ELSE 'M' END AS kind,
       count(*) AS messages, sum(octet_length(data))::bigint AS bytes, max(lsn)::text AS last_lsn
FROM pg_logical_slot_peek_changes(%(slot)s, %(end)s::pg_lsn, %(max_changes)s)
GROUP BY 1
