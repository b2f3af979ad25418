-- sample_checkpoints.sql: completed checkpoints and the buffers they wrote, read once per sample.
-- {checkpoints} and {buffers} are filled by version (pg_stat_bgwriter before 17,
-- pg_stat_checkpointer from 17 on, num_done from 18 on; see audit/collect/counters.py). Readable
-- by pg_monitor where the WAL functions are refused (Aurora before logical replication is on).
-- Feeds WalSample.checkpoints / checkpoint_buffers: the full-page images of the row-change WAL
-- model (audit/estimate/wal_model.py).
SELECT {checkpoints} AS checkpoints, {buffers} AS checkpoint_buffers FROM {view}
