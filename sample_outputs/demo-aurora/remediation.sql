-- remediation.sql: the remediation plan of a cdc-preflight report, as SQL.
-- Target: 127.0.0.1:54309/shop
-- Report b25cd1dfc63f, facts collected 2026-11-22T03:14:48.634053+00:00, facts SHA-256 844a6b299fad517a9de7d73fb841368da9349bc81a60c1df3c1bf218740b5dd6
--
-- A runbook, not a script: review each step, then run the ones you chose, one at a
-- time. Some steps offer alternatives, some need a restart or a lock. Steps that are
-- not SQL (shell, AWS CLI, connector settings) are comments. Placeholders such as
-- <key columns> must be filled in.
--
-- psql stops at the next line, so the file cannot run as a whole by accident.
\echo 'remediation.sql is a runbook: copy the steps you chose into psql one at a time.'
\quit

-- ============================================================================
-- ONLINE: NO RESTART
-- Can run at any time: no restart, and locks (if any) are brief.
-- ============================================================================

-- Step 1. CDC204 (high): A physical slot whose standby stopped connecting still holds WAL and the xmin horizon.
-- Window: no restart, no long lock
-- CDC204 slot:standby_decommissioned: physical slot standby_decommissioned is inactive and retains 73.7 MiB of WAL
-- confirm that no standby streams from slot standby_decommissioned (primary_slot_name)
SELECT pg_drop_replication_slot('standby_decommissioned');

-- Step 2. CDC005 (medium): Nothing limits how much WAL a stalled replication slot can retain.
-- Window: no restart, no long lock
-- CDC005 setting:max_slot_wal_keep_size: max_slot_wal_keep_size is -1 (unlimited): a stalled slot retains WAL until the disk is full
ALTER SYSTEM SET max_slot_wal_keep_size = '<size below the free WAL disk space, e.g. 200GB>';
SELECT pg_reload_conf();

-- Step 3. CDC407 (medium): The cluster or instance failed over during the look-back window.
-- Window: no restart, no long lock
-- CDC407 cluster:demo-aurora: demo-aurora had 2 failover event(s) in the last 24 h (latest 2026-11-21 21:15 UTC: Completed failover to DB instance: demo-aurora-1); check that the connectors' slots exist and advance on the current writer
SELECT slot_name, slot_type, active, confirmed_flush_lsn, wal_status
  FROM pg_replication_slots;
SELECT aurora_db_instance_identifier();

-- ============================================================================
-- NEEDS A RESTART OR WRITER REBOOT
-- Applies only when the server restarts (RDS/Aurora: the writer reboots). Stage every
-- step, then restart once at the end of the window.
-- ============================================================================

-- Step 4. CDC403 (critical): rds.logical_replication is configured but the writer has not been rebooted to apply it.
-- Window: the writer must reboot to apply rds.logical_replication
-- CDC403 instance:demo-aurora-1: rds.logical_replication=1 is configured in demo-aurora-cdc but not applied on the writer demo-aurora-1: DBClusterParameterGroupStatus=pending-reboot; the writer runs rds.logical_replication=None, wal_level=replica
-- shell: aws rds reboot-db-instance --db-instance-identifier demo-aurora-1 --region us-east-1
-- Impact: a brief outage of the writer. On Aurora PostgreSQL 15.4 the readers stay up and are not rebooted with it (reboot them separately to apply cluster parameter changes).

-- Step 5. CDC002 (high): Too few free replication slots for the planned connectors and a spare.
-- Window: max_replication_slots applies at server start
-- CDC002 setting:max_replication_slots: max_replication_slots is 2 with 1 slot(s) in use: 1 free, 2 needed (1 connector(s) x 1 slot(s) + 1 spare)
ALTER SYSTEM SET max_replication_slots = 3;
-- then restart the server: max_replication_slots takes effect only at server start

-- Step 6. CDC404 (medium): An Aurora reader has not applied its parameter groups yet.
-- Window: the reader must reboot to apply its parameter groups
-- CDC404 instance:demo-aurora-2: reader demo-aurora-2 has unapplied parameter changes: DBClusterParameterGroupStatus=pending-reboot
-- shell: aws rds reboot-db-instance --db-instance-identifier demo-aurora-2 --region us-east-1

-- Step 7. CDC405 (low): An Aurora DB parameter group overrides a CDC parameter of the cluster parameter group.
-- Window: a static parameter applies at the next reboot
-- CDC405 parameter:demo-aurora-instances/logical_decoding_work_mem: logical_decoding_work_mem=131072 in DB parameter group demo-aurora-instances overrides the cluster group's default on demo-aurora-1, demo-aurora-2
-- shell: aws rds reset-db-parameter-group --db-parameter-group-name demo-aurora-instances --parameters 'ParameterName=logical_decoding_work_mem,ApplyMethod=pending-reboot' --region us-east-1

-- Then restart once, after every step above: pg_ctl restart or the service
-- manager (self-managed), or reboot the instance / the writer (RDS, Aurora;
-- see remediation-aws.sh).

-- ============================================================================
-- NEEDS APPLICATION COORDINATION
-- Takes a lock on a busy table, or changes what applications or connectors see: agree a
-- time with their owners.
-- ============================================================================

-- Step 8. CDC101 (critical): Table has no primary key and no usable replica identity.
-- Window: a primary key or replica identity change locks the table
-- CDC101 shop.carts: shop.carts has no primary key (REPLICA IDENTITY DEFAULT): UPDATE and DELETE cannot be replicated; 237 updates and 0 deletes since statistics reset
ALTER TABLE shop.carts REPLICA IDENTITY USING INDEX carts_session_id_key;
-- CDC101 shop.audit_log: shop.audit_log has no primary key (REPLICA IDENTITY DEFAULT): UPDATE and DELETE cannot be replicated; no UPDATE or DELETE since statistics reset
ALTER TABLE shop.audit_log ADD PRIMARY KEY (<key columns>);  -- preferred
ALTER TABLE shop.audit_log REPLICA IDENTITY FULL;  -- last resort: logs whole old rows

-- Step 9. CDC103 (high): Unlogged table in scope: its changes are never written to WAL, so CDC never sees them.
-- Window: SET LOGGED rewrites the table under an exclusive lock
-- CDC103 shop.session_cache: shop.session_cache is unlogged (632 KiB): its changes never reach CDC
ALTER TABLE shop.session_cache SET LOGGED;

-- Step 10. CDC102 (medium): REPLICA IDENTITY FULL on a table with updates or deletes logs whole old rows.
-- Window: a replica identity change locks the table
-- CDC102 shop.events: shop.events has REPLICA IDENTITY FULL and 177 updates and 192 deletes since statistics reset: each logs the whole old row
ALTER TABLE shop.events REPLICA IDENTITY DEFAULT;  -- unless consumers need whole before images
