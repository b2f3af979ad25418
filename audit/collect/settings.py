"""The settings family: running values from pg_settings, and staged values not yet applied."""

from __future__ import annotations

from typing import Any

from audit.collect.errors import mask_passwords
from audit.collect.session import Session
from audit.facts import Setting
from audit.facts.models import RoleSetting

# Every setting a rule or an estimate reads; rds.* and aurora.* settings and anything pending a
# restart are collected as well (see settings.sql).
NEEDED_SETTINGS = (
    "aurora.enhanced_logical_replication",
    "archive_mode",
    "autovacuum_freeze_max_age",
    "block_size",
    "checkpoint_timeout",
    "full_page_writes",
    "hot_standby_feedback",
    "idle_in_transaction_session_timeout",
    "idle_replication_slot_timeout",
    "idle_session_timeout",
    "logical_decoding_work_mem",
    "max_connections",
    "max_locks_per_transaction",
    "max_logical_replication_workers",
    "max_prepared_transactions",
    "effective_wal_level",
    "max_replication_slots",
    "max_slot_wal_keep_size",
    "max_sync_workers_per_subscription",
    "max_wal_senders",
    "max_wal_size",
    "max_worker_processes",
    "primary_conninfo",
    "primary_slot_name",
    "rds.logical_replication",
    "rds.logical_wal_cache",
    "server_version_num",
    "shared_buffers",
    "shared_preload_libraries",
    "statement_timeout",
    "reserved_connections",
    "superuser_reserved_connections",
    "sync_replication_slots",
    "synchronized_standby_slots",
    "synchronous_standby_names",
    "track_commit_timestamp",
    "track_counts",
    "transaction_timeout",
    "wal_compression",
    "wal_keep_size",
    "wal_level",
    "wal_log_hints",
    "wal_segment_size",
    "wal_sender_timeout",
)

# Settings whose per-role and per-database defaults (pg_db_role_setting) are collected: the
# timeouts a connector's sessions inherit from ALTER ROLE / ALTER DATABASE.
ROLE_SETTING_NAMES = (
    "idle_in_transaction_session_timeout",
    "idle_session_timeout",
    "statement_timeout",
    "transaction_timeout",
)

PENDING_GRANT = (
    "connect as a superuser, or GRANT SELECT ON pg_file_settings and GRANT EXECUTE ON FUNCTION "
    "pg_show_all_file_settings() TO the auditing role; without them a setting changed with "
    "ALTER SYSTEM shows only after a reload (pg_settings.pending_restart)"
)


def read_settings(session: Session) -> dict[str, Setting]:
    rows = session.models("settings", Setting, {"names": list(NEEDED_SETTINGS)})
    settings = {s.name: _masked(s) for s in rows}
    lines = session.attempt(
        "settings.pending", lambda: session.rows("settings_pending"), grant=PENDING_GRANT
    )
    for line in lines or []:
        current = settings.get(line["name"])
        if current is not None and not line["applied"]:
            settings[current.name] = _masked(_with_pending(current, line))
    return settings


def read_role_settings(session: Session) -> list[RoleSetting]:
    return session.models("role_settings", RoleSetting, {"names": list(ROLE_SETTING_NAMES)})


def _masked(setting: Setting) -> Setting:
    """The setting with any password in its running or staged value masked."""
    value = mask_passwords(setting.value)
    pending = None if setting.pending_value is None else mask_passwords(setting.pending_value)
    if (value, pending) == (setting.value, setting.pending_value):
        return setting
    return setting.model_copy(update={"value": value, "pending_value": pending})


def _with_pending(setting: Setting, line: dict[str, Any]) -> Setting:
    """``setting`` with the unapplied configuration-file ``line`` staged for it.

    For a setting that needs a restart, the server marks the line "setting could not be
    applied" whether or not the value is valid, so an error is kept only for the others.
    """
    error = line["error"] if setting.context != "postmaster" else None
    return setting.model_copy(
        update={
            "pending_value": line["value"],
            "pending_source": line["source"],
            "pending_error": error,
        }
    )
