"""Fixtures for the collector tests: a schema with known properties, auditing roles, helpers.

Every database and role a test creates has a unique name, so tests share servers safely.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from collect_support import OBSERVED_SERVER_SETTINGS, create_schema

from audit.collect import collect_facts
from audit.demo.localpg import LocalPostgres
from audit.facts import Facts

_roles = itertools.count()

_schema_dbs: dict[int, str] = {}


def wait_for_table_stats(
    server: LocalPostgres, dbname: str, expected: dict[str, int], timeout: float = 15.0
) -> None:
    """Wait until pg_stat_user_tables.n_tup_ins shows ``expected`` (stats are flushed lazily)."""
    deadline = time.monotonic() + timeout
    seen: dict[str, int] = {}
    while time.monotonic() < deadline:
        with server.connect(dbname) as conn:
            rows = conn.execute(
                "SELECT format('%I.%I', schemaname, relname), n_tup_ins FROM pg_stat_user_tables"
            ).fetchall()
        seen = {name: n for name, n in rows if name in expected}
        if seen == expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"table statistics never reached {expected}: {seen}")


@pytest.fixture
def schema_db(pg_server: LocalPostgres, make_db: Callable[[LocalPostgres], str]) -> str:
    """A database on ``pg_server`` holding SCHEMA_SQL, built once per server."""
    if pg_server.port not in _schema_dbs:
        dbname = make_db(pg_server)
        create_schema(pg_server, dbname)
        wait_for_table_stats(pg_server, dbname, {"app.with_pk": 1000, "app.no_pk": 500})
        _schema_dbs[pg_server.port] = dbname
    return _schema_dbs[pg_server.port]


@pytest.fixture
def audit_role() -> Callable[..., tuple[str, str]]:
    """Create a LOGIN role on a server: ``audit_role(server, dbname, "IN ROLE pg_monitor")``.

    Returns ``(name, password)``; ``grants`` are SQL statements run in ``dbname`` with the
    role's name substituted for ``{role}``.
    """

    def create(
        server: LocalPostgres, dbname: str, options: str = "", grants: tuple[str, ...] = ()
    ) -> tuple[str, str]:
        name = f"auditor_{os.getpid()}_{next(_roles)}"
        password = "x-pass"
        with server.connect(dbname) as conn:
            conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}' {options}")
            for grant in grants:
                conn.execute(grant.format(role=name))
        return name, password

    return create


@pytest.fixture
def collect_from() -> Callable[..., Facts]:
    """``collect_from(server, dbname, user=None, password=None, **collect_kwargs)``."""

    def run(
        server: LocalPostgres,
        dbname: str,
        user: str = "postgres",
        password: str | None = None,
        **kwargs: Any,
    ) -> Facts:
        kwargs.setdefault("sample_seconds", 0)
        return collect_facts(server.conninfo(dbname, user=user, password=password), **kwargs)

    return run


@pytest.fixture
def observed_server(server_pool: Any, pg_major: int) -> LocalPostgres:
    """A server that logs every statement (prefix: application name) and allows prepared
    transactions; see OBSERVED_SERVER_SETTINGS."""
    server: LocalPostgres = server_pool.get(pg_major, OBSERVED_SERVER_SETTINGS)
    return server
