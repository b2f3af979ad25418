"""Fault-test fixtures: one server of the newest major (the faults do not depend on it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from faults_support import make_shop, newest_major

from audit.demo.localpg import LocalPostgres

# a server of its own: the tests that restart or stop it leave the shared ones alone
OWN_SETTINGS = {"wal_level": "replica", "log_min_messages": "warning"}


@pytest.fixture
def server(server_pool: Any) -> LocalPostgres:
    return server_pool.get(newest_major(), {"wal_level": "replica"})


@pytest.fixture
def own_server(server_pool: Any) -> LocalPostgres:
    """A server the test may restart."""
    return server_pool.get(newest_major(), OWN_SETTINGS)


@pytest.fixture
def shop(server: LocalPostgres, make_db: Callable[[LocalPostgres], str]) -> str:
    """A database with public.orders (primary key, 5000 rows) on ``server``."""
    name = make_db(server)
    make_shop(server, name)
    return name


@pytest.fixture
def quiet_server(server_pool: Any) -> LocalPostgres:
    """No autovacuum: a catalog it analyses invalidates the relation-cache init file, and the
    next backend to start rebuilds it by opening every syscache catalog. Tests that hold a
    catalog lock would then see the audit's connection wait on their own lock."""
    return server_pool.get(newest_major(), {"wal_level": "replica", "autovacuum": "off"})


@pytest.fixture
def quiet_shop(quiet_server: LocalPostgres, make_db: Callable[[LocalPostgres], str]) -> str:
    """``shop`` on :func:`quiet_server`."""
    name = make_db(quiet_server)
    make_shop(quiet_server, name)
    return name
