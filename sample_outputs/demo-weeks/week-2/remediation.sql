-- remediation.sql: the remediation plan of a cdc-preflight report, as SQL.
-- Target: 127.0.0.1:52927/shop
-- Report 587128ee570f, facts collected 2026-12-02T14:29:03.414598+00:00, facts SHA-256 4401fc3cde6249bb42dff35a61ade65dc7731f4eb0d8f30a215436f7f2a0a7d9
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
-- CDC204 slot:standby_decommissioned: physical slot standby_decommissioned is inactive and retains 122 MiB of WAL
-- confirm that no standby streams from slot standby_decommissioned (primary_slot_name)
SELECT pg_drop_replication_slot('standby_decommissioned');

-- ============================================================================
-- RELOAD: APPLIES WITHOUT A RESTART
-- Applies at a configuration reload (pg_reload_conf, or an RDS/Aurora parameter applied
-- immediately): no restart, no lock.
-- ============================================================================

-- Step 2. CDC503 (high): A stalled slot would be invalidated, or fill the disk, too soon.
-- Window: applies at a configuration reload
-- CDC503 runway:max_slot_wal_keep_size: a stalled slot reaches max_slot_wal_keep_size (1,024 MiB) in 31.8 min at the p95 logical WAL rate, less than 24 h
ALTER SYSTEM SET max_slot_wal_keep_size = '4GB';
SELECT pg_reload_conf();
-- and alert on pg_replication_slots.safe_wal_size

-- ============================================================================
-- NEEDS A RESTART
-- Applies only when the server (or RDS instance) restarts. Stage every step, then restart
-- each instance once, at the end of the window.
-- ============================================================================

-- Step 3. CDC001 (critical): The server does not write logical decoding information to WAL.
-- Window: applies only when the server or instance restarts
-- CDC001 setting:wal_level: wal_level is replica; logical is staged in the demo server's postgresql.auto.conf:3 (removed with the server) and waits for a restart: that restart resolves this finding
-- wal_level = logical is already staged: the demo server's postgresql.auto.conf:3
-- (removed with the server); pending restart

-- Step 4. CDC002 (high): Too few free replication slots for the planned connectors and a spare.
-- Window: applies only when the server or instance restarts
-- CDC002 setting:max_replication_slots: max_replication_slots is 2 with 1 slot(s) in use: 1 free, 2 needed (1 connector(s) x 1 slot(s) + 1 spare): raise it to 3
ALTER SYSTEM SET max_replication_slots = 3;

-- Then, once, after every step above:
-- restart the server (pg_ctl restart, or the service manager): max_replication_slots
-- applies only at server start
-- applies: CDC001 setting:wal_level, CDC002 setting:max_replication_slots

-- ============================================================================
-- NEEDS APPLICATION COORDINATION
-- Takes a lock on a busy table, or changes what applications or connectors see: agree a
-- time with their owners.
-- ============================================================================

-- Step 5. CDC101 (critical): Table has no primary key and no usable replica identity.
-- Window: locks a table, or changes what applications or consumers see
-- CDC101 shop.coupons: shop.coupons has no primary key (REPLICA IDENTITY DEFAULT): UPDATE and DELETE cannot be replicated; 400 updates and 0 deletes since statistics reset
ALTER TABLE shop.coupons ADD PRIMARY KEY (<key columns>);  -- preferred
ALTER TABLE shop.coupons REPLICA IDENTITY FULL;  -- last resort: logs whole old rows
-- CDC101 shop.audit_log: shop.audit_log has no primary key (REPLICA IDENTITY DEFAULT): UPDATE and DELETE cannot be replicated; no UPDATE or DELETE since statistics reset
ALTER TABLE shop.audit_log ADD PRIMARY KEY (<key columns>);  -- preferred
ALTER TABLE shop.audit_log REPLICA IDENTITY FULL;  -- last resort: logs whole old rows

-- Step 6. CDC103 (high): Unlogged table in scope: its changes are never written to WAL, so CDC never sees them.
-- Window: locks a table, or changes what applications or consumers see
-- CDC103 shop.session_cache: shop.session_cache is unlogged (632 KiB): its changes never reach CDC
ALTER TABLE shop.session_cache SET LOGGED;

-- Step 7. CDC102 (medium): REPLICA IDENTITY FULL on a table with updates or deletes logs whole old rows.
-- Window: locks a table, or changes what applications or consumers see
-- CDC102 shop.events: shop.events has REPLICA IDENTITY FULL and 192 updates and 186 deletes since statistics reset: each logs the whole old row
ALTER TABLE shop.events REPLICA IDENTITY DEFAULT;  -- unless consumers need whole before images
