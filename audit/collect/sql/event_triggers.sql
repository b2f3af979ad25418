-- event_triggers.sql: event triggers (DDL capture); they fire on the source, never on a logical
-- replica unless ENABLE REPLICA/ALWAYS. Feeds Facts.event_triggers.
SELECT
    e.evtname::text AS name,
    e.evtevent::text AS event,
    CASE e.evtenabled
        WHEN 'O' THEN 'origin'
        WHEN 'R' THEN 'replica'
        WHEN 'A' THEN 'always'
        WHEN 'D' THEN 'disabled'
    END AS enabled,
    e.evtfoid::regproc::text AS function,
    pg_get_userbyid(e.evtowner)::text AS owner,
    e.evttags AS tags
FROM pg_event_trigger AS e
ORDER BY e.evtname
