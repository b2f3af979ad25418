-- read_probe_widths.sql: average row width with TOAST values inline (what REPLICA IDENTITY FULL
-- logs) and average key width, over the first keyset chunk. Read-only. Feeds
-- Facts.read_probe.tables[].avg_row_bytes / avg_key_bytes (WAL and change-stream estimates).
-- The text widths are the row and key in text form, compressed and TOASTed values expanded: what
-- pgoutput (text mode) sends for them (change-stream estimate).
SELECT
    avg(pg_column_size(t.*))::float8 AS avg_row_bytes,
    avg({key_width})::float8 AS avg_key_bytes,
    avg(octet_length(t::text))::float8 AS avg_text_bytes,
    avg({key_text_width})::float8 AS avg_key_text_bytes
FROM (SELECT * FROM {table} ORDER BY {keys} LIMIT {limit}) AS t
