"""The settings family: running values, and values staged with ALTER SYSTEM but not applied."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from audit.collect.settings import NEEDED_SETTINGS
from audit.demo.localpg import LocalPostgres
from audit.facts import Facts

pytestmark = pytest.mark.pg

NOT_ON_EVERY_SERVER = {
    "aurora.enhanced_logical_replication",
    "rds.logical_replication",
    "rds.logical_wal_cache",
    "idle_replication_slot_timeout",  # 18+
    "effective_wal_level",  # 19+
    "synchronized_standby_slots",  # 17+
    "sync_replication_slots",  # 17+
    "transaction_timeout",  # 17+
    "reserved_connections",  # 16+
}


@pytest.fixture
def pending_server(server_pool: Any, pg_major: int) -> Iterator[LocalPostgres]:
    """A server of its own: these tests ALTER SYSTEM and reload."""
    server: LocalPostgres = server_pool.get(
        pg_major, {"wal_level": "replica", "cluster_name": "pending"}
    )
    yield server
    with server.connect() as conn:
        conn.execute("ALTER SYSTEM RESET wal_level")
        conn.execute("SELECT pg_reload_conf()")


def wait_for_pending_restart(server: LocalPostgres, name: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with server.connect() as conn:
            row = conn.execute(
                "SELECT pending_restart FROM pg_settings WHERE name = %s", [name]
            ).fetchone()
        if row and row[0]:
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} never showed pending_restart")


def test_running_values_with_units_and_sources(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    facts = collect_from(pg_server, fresh_db)
    assert facts.settings is not None
    major = pg_server.version_num // 10000
    expected_missing = {n for n in NOT_ON_EVERY_SERVER if not (
        (n == "idle_replication_slot_timeout" and major >= 18)
        or (n == "effective_wal_level" and major >= 19)
        or (n in ("synchronized_standby_slots", "sync_replication_slots", "transaction_timeout")
            and major >= 17)
        or (n == "reserved_connections" and major >= 16)
    )}  # fmt: skip
    assert set(NEEDED_SETTINGS) - set(facts.settings) == expected_missing
    wal_level = facts.settings["wal_level"]
    assert (wal_level.value, wal_level.source, wal_level.context, wal_level.vartype) == (
        "replica", "configuration file", "postmaster", "enum",
    )  # fmt: skip
    assert (wal_level.boot_value, wal_level.pending_restart, wal_level.pending_value) == (
        "replica", False, None,
    )  # fmt: skip
    max_wal_size = facts.settings["max_wal_size"]
    assert (max_wal_size.unit, max_wal_size.vartype) == ("MB", "integer")
    # the audit session SETs this one; the server's value is what must be reported
    idle = facts.settings["idle_in_transaction_session_timeout"]
    assert (idle.value, idle.source) == ("0", None)


def test_alter_system_without_restart_is_pending(
    pending_server: LocalPostgres, collect_from: Callable[..., Facts]
) -> None:
    with pending_server.connect() as conn:
        conn.execute("ALTER SYSTEM SET wal_level = logical")

    staged = collect_from(pending_server, "postgres").setting("wal_level")
    assert staged is not None
    assert (staged.value, staged.pending_value, staged.pending_error) == (
        "replica",
        "logical",
        None,
    )
    assert staged.pending_source is not None
    assert staged.pending_source.endswith("postgresql.auto.conf:3")
    assert staged.pending_restart is False  # the server has not re-read its files yet

    with pending_server.connect() as conn:
        conn.execute("SELECT pg_reload_conf()")
    wait_for_pending_restart(pending_server, "wal_level")
    reloaded = collect_from(pending_server, "postgres").setting("wal_level")
    assert reloaded is not None
    assert (reloaded.value, reloaded.pending_value, reloaded.pending_restart) == (
        "replica", "logical", True,
    )  # fmt: skip


def test_reset_removes_the_pending_value(
    pending_server: LocalPostgres, collect_from: Callable[..., Facts]
) -> None:
    with pending_server.connect() as conn:
        conn.execute("ALTER SYSTEM SET wal_level = logical")
        conn.execute("ALTER SYSTEM RESET wal_level")
    setting = collect_from(pending_server, "postgres").setting("wal_level")
    assert setting is not None
    assert setting.pending_value is None


def test_a_placeholder_setting_is_read_with_its_value(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    """rds.logical_replication on community PostgreSQL (the Aurora demo's writer) is a
    placeholder: pg_settings does not list it, SHOW does, and so must the facts."""
    with pg_server.connect(fresh_db) as conn:
        conn.execute(f'ALTER DATABASE "{fresh_db}" SET rds.logical_replication = off')
    facts = collect_from(pg_server, fresh_db)
    placeholder = facts.setting("rds.logical_replication")
    assert placeholder is not None
    assert (placeholder.value, placeholder.source, placeholder.pending_restart) == (
        "off", None, False,
    )  # fmt: skip
    assert facts.setting("rds.logical_wal_cache") is None  # requested, set nowhere
