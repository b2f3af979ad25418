-- read_probe_widths.sql: average row width with TOAST values inline (what REPLICA IDENTITY FULL
-- logs) and average key width, over the first keyset chunk. Read-only. Feeds
-- Facts.read_probe.tables[].avg_row_bytes / avg_key_bytes (WAL and change-stream estimates).
SELECT
    avg(pg_column_size(t.*))::float8 AS avg_row_bytes,
    avg({key_width})::float8 AS avg_key_bytes
FROM (SELECT * FROM {table} ORDER BY {keys} LIMIT {limit}) AS t
