"""The decoding probe's temporary slot is gone after every way the run can end mid-probe:
Ctrl-C, SIGTERM, and the client killed with -9 (the server drops a temporary slot when its
session ends)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from faults_support import Running, make_shop, newest_major

from audit.collect.decoding_probe import SLOT_PREFIX
from audit.demo.localpg import LocalPostgres

pytestmark = pytest.mark.pg


@pytest.fixture
def logical_server(server_pool: Any) -> LocalPostgres:
    server: LocalPostgres = server_pool.get(
        newest_major(), {"wal_level": "logical", "max_replication_slots": "10"}
    )
    return server


def _probe_slots(server: LocalPostgres) -> list[tuple[Any, ...]]:
    with server.connect() as conn:
        return conn.execute(
            "SELECT slot_name, temporary FROM pg_replication_slots WHERE slot_name LIKE %s",
            (SLOT_PREFIX + "%",),
        ).fetchall()


def _wait_until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -signal.SIGKILL)],
    ids=["sigint", "sigterm", "kill-9"],
)
def test_the_slot_is_gone_after_the_run_ends_mid_probe(
    logical_server: LocalPostgres,
    make_db: Callable[[LocalPostgres], str],
    tmp_path: Path,
    signum: int,
    code: int,
) -> None:
    dbname = make_db(logical_server)
    make_shop(logical_server, dbname)
    run = Running(
        "collect", "--dsn", logical_server.conninfo(dbname), "--out", str(tmp_path / "o"),
        "--sample-seconds", "0", "--no-read-probe", "--probe-decoding", "60",
    )  # fmt: skip
    run.wait_for("decoding probe: 1/60 s")
    (slot,) = _probe_slots(logical_server)
    assert slot[0] == f"{SLOT_PREFIX}{run.proc.pid}" and slot[1] is True
    run.signal(signum)
    exit_code, _, stderr = run.finish()
    assert exit_code == code, stderr
    assert "Traceback" not in stderr
    assert _wait_until(lambda: _probe_slots(logical_server) == []), _probe_slots(logical_server)
    if signum != signal.SIGKILL:
        assert "during decoding probe" in stderr
    assert not (tmp_path / "o").exists()
