-- large_objects.sql: the number of large objects; logical decoding does not capture them.
-- Feeds Facts.large_objects.
SELECT count(*) AS large_objects FROM pg_largeobject_metadata
