#!/usr/bin/env bash
# remediation-aws.sh: the AWS CLI and shell steps of a cdc-preflight remediation plan.
# Target: 127.0.0.1:59815/shop
# Report 3a910227390b, facts collected 2026-12-02T14:28:14.201912+00:00
#
# Nothing runs by default: without --execute this script only prints the commands.
# With --execute it asks before each one. Commands with placeholders (<...>) are never run:
# edit them first. Reboots come last in their window: one reboot applies every change above.
set -euo pipefail

EXECUTE=no
if [[ "${1:-}" == "--execute" ]]; then
  EXECUTE=yes
fi

run() {
  printf '\n$'
  printf ' %q' "$@"
  printf '\n'
  if [[ "$EXECUTE" != yes ]]; then
    echo "  (not run: pass --execute to be asked)"
    return 0
  fi
  local answer
  read -r -p "  Run it? [y/N] " answer
  if [[ "$answer" == [yY] ]]; then
    "$@"
  else
    echo "  skipped"
  fi
}

edit_first() {
  printf '\n# edit first, then run by hand:'
  printf ' %q' "$@"
  printf '\n'
}

# ============================================================================
# RELOAD: APPLIES WITHOUT A RESTART
# Applies at a configuration reload (pg_reload_conf, or an RDS/Aurora parameter applied
# immediately): no restart, no lock.
# ============================================================================

# Step 3. CDC005: Nothing limits how much WAL a stalled replication slot can retain.
# CDC005 setting:max_slot_wal_keep_size: max_slot_wal_keep_size is -1 (unlimited): a stalled slot retains WAL until the cluster volume grows without bound
run aws rds modify-db-cluster-parameter-group --db-cluster-parameter-group-name demo-aurora-cdc --parameters ParameterName=max_slot_wal_keep_size,ParameterValue=4096,ApplyMethod=immediate --region us-east-1

# ============================================================================
# NEEDS A WRITER REBOOT
# Applies only when the Aurora writer reboots: a brief outage of the writer. Stage every
# step, then reboot once, at the end of the window.
# ============================================================================

# Step 7. CDC405: An Aurora DB parameter group overrides a CDC parameter of the cluster parameter group.
# CDC405 parameter:demo-aurora-instances/logical_decoding_work_mem: logical_decoding_work_mem=131072 in DB parameter group demo-aurora-instances overrides the cluster group's default on demo-aurora-1, demo-aurora-2
run aws rds reset-db-parameter-group --db-parameter-group-name demo-aurora-instances --parameters ParameterName=logical_decoding_work_mem,ApplyMethod=pending-reboot --region us-east-1

# Reboot once, after every change above in this window:
# applies: CDC404 instance:demo-aurora-2, CDC405 parameter:demo-aurora-
# instances/logical_decoding_work_mem
run aws rds reboot-db-instance --db-instance-identifier demo-aurora-2 --region us-east-1
# Impact: the reader leaves the reader endpoint while it restarts.
# applies: CDC403 instance:demo-aurora-1, CDC002 setting:max_replication_slots, CDC405
# parameter:demo-aurora-instances/logical_decoding_work_mem
run aws rds reboot-db-instance --db-instance-identifier demo-aurora-1 --region us-east-1
# Impact: a brief outage of the writer. On Aurora PostgreSQL 18.6 the readers stay up and
# are not rebooted with it (reboot them separately to apply cluster parameter changes).
