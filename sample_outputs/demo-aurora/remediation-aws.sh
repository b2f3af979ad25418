#!/usr/bin/env bash
# remediation-aws.sh: the AWS CLI steps of a cdc-preflight remediation plan.
# Target: 127.0.0.1:54309/shop
# Report b25cd1dfc63f, facts collected 2026-11-22T03:14:48.634053+00:00
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
# NEEDS A RESTART OR WRITER REBOOT
# Applies only when the server restarts (RDS/Aurora: the writer reboots). Stage every
# step, then restart once at the end of the window.
# ============================================================================

# Step 4. CDC403: rds.logical_replication is configured but the writer has not been rebooted to apply it.
# CDC403 instance:demo-aurora-1: rds.logical_replication=1 is configured in demo-aurora-cdc but not applied on the writer demo-aurora-1: DBClusterParameterGroupStatus=pending-reboot; the writer runs rds.logical_replication=None, wal_level=replica
# Impact: a brief outage of the writer. On Aurora PostgreSQL 15.4 the readers stay up and are not rebooted with it (reboot them separately to apply cluster parameter changes).

# Step 7. CDC405: An Aurora DB parameter group overrides a CDC parameter of the cluster parameter group.
# CDC405 parameter:demo-aurora-instances/logical_decoding_work_mem: logical_decoding_work_mem=131072 in DB parameter group demo-aurora-instances overrides the cluster group's default on demo-aurora-1, demo-aurora-2
run aws rds reset-db-parameter-group --db-parameter-group-name demo-aurora-instances --parameters ParameterName=logical_decoding_work_mem,ApplyMethod=pending-reboot --region us-east-1

# Reboot once, after every change above in this window:
run aws rds reboot-db-instance --db-instance-identifier demo-aurora-1 --region us-east-1
run aws rds reboot-db-instance --db-instance-identifier demo-aurora-2 --region us-east-1
