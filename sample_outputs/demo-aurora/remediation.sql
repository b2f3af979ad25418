-- remediation.sql: the remediation plan of a cdc-preflight report, as SQL.
-- Target: 127.0.0.1:59815/shop
-- Report 3a910227390b, facts collected 2026-12-02T14:28:14.201912+00:00, facts SHA-256 068d90ebe108c7b4f276950103136e4b605e7abe61f60d11df9efbdc06a37e67
--
-- A runbook, not a script: review each step, then run the ones you chose, one at a
-- time. Some steps offer alternatives, some need a restart or a lock. AWS CLI and
-- shell steps are in remediation-aws.sh. Placeholders such as <key columns> must be
-- filled in.
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

-- Step 2. CDC407 (medium): The cluster or instance failed over during the look-back window.
-- Window: no restart, no long lock
-- CDC407 cluster:demo-aurora: demo-aurora had 2 failover event(s) in the last 24 h (latest 2026-12-02 08:28 UTC: Completed failover to DB instance: demo-aurora-1); Aurora keeps WAL on the shared cluster volume that the promoted instance takes over, and has no streaming standby for PostgreSQL's slot synchronization to copy slots to; AWS does not state in so many words that logical slots survive a failover: check that every connector slot exists and advances
SELECT slot_name, slot_type, active, confirmed_flush_lsn, wal_status
  FROM pg_replication_slots;
SELECT aurora_db_instance_identifier();

-- ============================================================================
-- RELOAD: APPLIES WITHOUT A RESTART
-- Applies at a configuration reload (pg_reload_conf, or an RDS/Aurora parameter applied
-- immediately): no restart, no lock.
-- ============================================================================

-- Step 3. CDC005 (low): Nothing limits how much WAL a stalled replication slot can retain.
-- Window: applies at a configuration reload
-- CDC005 setting:max_slot_wal_keep_size: max_slot_wal_keep_size is -1 (unlimited): a stalled slot retains WAL until the cluster volume grows without bound
-- (its AWS CLI / shell steps are in remediation-aws.sh)

-- ============================================================================
-- NEEDS A RESTART
-- Applies only when the server (or RDS instance) restarts. Stage every step, then restart
-- each instance once, at the end of the window.
-- ============================================================================

-- Step 4. CDC404 (medium): An Aurora reader has not applied its parameter groups yet.
-- Window: applies only when the server or instance restarts
-- CDC404 instance:demo-aurora-2: reader demo-aurora-2 has unapplied parameter changes: DBClusterParameterGroupStatus=pending-reboot

-- ============================================================================
-- NEEDS A WRITER REBOOT
-- Applies only when the Aurora writer reboots: a brief outage of the writer. Stage every
-- step, then reboot once, at the end of the window.
-- ============================================================================

-- Step 5. CDC403 (critical): rds.logical_replication is configured but the writer has not been rebooted to apply it.
-- Window: applies only when the writer reboots
-- CDC403 instance:demo-aurora-1: rds.logical_replication=1 is configured in demo-aurora-cdc but not applied on the writer demo-aurora-1: DBClusterParameterGroupStatus=pending-reboot; the writer runs rds.logical_replication=off, wal_level=replica. The WAL rates in this report were measured with pg_current_wal_lsn(), which this server reports; an Aurora writer with rds.logical_replication off does not, and its audit falls back to row changes and CloudWatch

-- Step 6. CDC002 (high): Too few free replication slots for the planned connectors and a spare.
-- Window: applies only when the writer reboots
-- CDC002 setting:max_replication_slots: max_replication_slots is 2 with 1 slot(s) in use: 1 free, 2 needed (1 connector(s) x 1 slot(s) + 1 spare); 10 is staged in cluster parameter group demo-aurora-cdc and applies at the next reboot of the writer, which resolves this finding
-- max_replication_slots = 10 is already staged: cluster parameter group demo-aurora-cdc;
-- pending writer reboot

-- Step 7. CDC405 (low): An Aurora DB parameter group overrides a CDC parameter of the cluster parameter group.
-- Window: applies only when the writer reboots
-- CDC405 parameter:demo-aurora-instances/logical_decoding_work_mem: logical_decoding_work_mem=131072 in DB parameter group demo-aurora-instances overrides the cluster group's default on demo-aurora-1, demo-aurora-2
-- (its AWS CLI / shell steps are in remediation-aws.sh)

-- Then, once, after every step above:
-- reboot demo-aurora-2 (remediation-aws.sh): aws rds reboot-db-instance --db-instance-
-- identifier demo-aurora-2 --region us-east-1
-- Impact: the reader leaves the reader endpoint while it restarts.
-- applies: CDC404 instance:demo-aurora-2, CDC405 parameter:demo-aurora-
-- instances/logical_decoding_work_mem
-- reboot demo-aurora-1 (remediation-aws.sh): aws rds reboot-db-instance --db-instance-
-- identifier demo-aurora-1 --region us-east-1
-- Impact: a brief outage of the writer. On Aurora PostgreSQL 18.6 the readers stay up and
-- are not rebooted with it (reboot them separately to apply cluster parameter changes).
-- applies: CDC403 instance:demo-aurora-1, CDC002 setting:max_replication_slots, CDC405
-- parameter:demo-aurora-instances/logical_decoding_work_mem

-- ============================================================================
-- NEEDS APPLICATION COORDINATION
-- Takes a lock on a busy table, or changes what applications or connectors see: agree a
-- time with their owners.
-- ============================================================================

-- Step 8. CDC101 (critical): Table has no primary key and no usable replica identity.
-- Window: locks a table, or changes what applications or consumers see
-- CDC101 shop.carts: shop.carts has no primary key (REPLICA IDENTITY DEFAULT): UPDATE and DELETE cannot be replicated; 237 updates and 0 deletes since statistics reset
ALTER TABLE shop.carts REPLICA IDENTITY USING INDEX carts_session_id_key;
-- CDC101 shop.audit_log: shop.audit_log has no primary key (REPLICA IDENTITY DEFAULT): UPDATE and DELETE cannot be replicated; no UPDATE or DELETE since statistics reset
ALTER TABLE shop.audit_log ADD PRIMARY KEY (<key columns>);  -- preferred
ALTER TABLE shop.audit_log REPLICA IDENTITY FULL;  -- last resort: logs whole old rows

-- Step 9. CDC103 (high): Unlogged table in scope: its changes are never written to WAL, so CDC never sees them.
-- Window: locks a table, or changes what applications or consumers see
-- CDC103 shop.session_cache: shop.session_cache is unlogged (632 KiB): its changes never reach CDC
ALTER TABLE shop.session_cache SET LOGGED;

-- Step 10. CDC102 (medium): REPLICA IDENTITY FULL on a table with updates or deletes logs whole old rows.
-- Window: locks a table, or changes what applications or consumers see
-- CDC102 shop.events: shop.events has REPLICA IDENTITY FULL and 177 updates and 192 deletes since statistics reset: each logs the whole old row
ALTER TABLE shop.events REPLICA IDENTITY DEFAULT;  -- unless consumers need whole before images
