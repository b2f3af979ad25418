-- read_probe_chunk.sql: one keyset chunk of a table, the way an incremental snapshot reads it
-- (Debezium: WHERE key > last ORDER BY key LIMIT chunk). Read-only, bounded by LIMIT and by
-- statement_timeout. Feeds Facts.read_probe (measured read speed for the snapshot estimate).
-- The table, key columns, keyset condition and limit are composed with psycopg.sql: identifiers
-- are quoted and the last key is bound as parameters, never concatenated.
SELECT * FROM {table} {after} ORDER BY {keys} LIMIT {limit}
