"""The history store's tables, per dialect, as numbered migrations.

``cdc_preflight_schema`` holds one row per applied migration; a store opened by a newer
cdc-preflight than wrote it is migrated forward on first use, a store written by a newer one
than this is refused (its tables may mean more than this version knows).

``cdc_preflight_runs``: one row per (report_id, target_id). report_id is the report's own
identity (a hash of the facts, the profile and the tool version), so the same run stored twice,
by a retry or by two machines, is one row.
"""

from __future__ import annotations

from typing import Literal

Dialect = Literal["sqlite", "postgresql"]

RUNS = "cdc_preflight_runs"
SCHEMA_TABLE = "cdc_preflight_schema"

_MIGRATION_TABLE: dict[Dialect, str] = {
    "sqlite": f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} "
    "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    "postgresql": f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} "
    "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL)",
}

_V1: dict[Dialect, tuple[str, ...]] = {
    "sqlite": (
        f"""CREATE TABLE {RUNS} (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            report_id TEXT NOT NULL,
            target_id TEXT NOT NULL,
            target_name TEXT NOT NULL,
            profile TEXT NOT NULL,
            run_at TEXT NOT NULL,
            stored_at TEXT NOT NULL,
            verdict TEXT NOT NULL,
            counts TEXT NOT NULL,
            labels TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            facts_sha256 TEXT NOT NULL,
            report_gz BLOB NOT NULL,
            facts_gz BLOB NOT NULL,
            UNIQUE (report_id, target_id)
        )""",
        f"CREATE INDEX {RUNS}_target_time ON {RUNS} (target_id, run_at)",
    ),
    "postgresql": (
        f"""CREATE TABLE {RUNS} (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            report_id text NOT NULL,
            target_id text NOT NULL,
            target_name text NOT NULL,
            profile text NOT NULL,
            run_at timestamptz NOT NULL,
            stored_at timestamptz NOT NULL,
            verdict text NOT NULL,
            counts jsonb NOT NULL,
            labels jsonb NOT NULL,
            tool_version text NOT NULL,
            facts_sha256 text NOT NULL,
            report_gz bytea NOT NULL,
            facts_gz bytea NOT NULL,
            UNIQUE (report_id, target_id)
        )""",
        f"CREATE INDEX {RUNS}_target_time ON {RUNS} (target_id, run_at)",
    ),
}

#: Migration number -> its statements; applied in order, each in the transaction that
#: records it.
MIGRATIONS: dict[int, dict[Dialect, tuple[str, ...]]] = {1: _V1}
SCHEMA_VERSION = max(MIGRATIONS)


def migration_table(dialect: Dialect) -> str:
    return _MIGRATION_TABLE[dialect]
