-- sample_checkpoint_time.sql: when the latest checkpoint started (pg_control_checkpoint(), no WAL
-- function needed), read once per sample. Feeds WalSample.checkpoint_time: where the window
-- stands in its checkpoint cycle, which decides how many pages still need a full-page image
-- (audit/estimate/wal_model.py).
SELECT checkpoint_time FROM pg_control_checkpoint()
