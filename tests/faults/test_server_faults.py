"""The server fails under the audit: it dies, restarts, cancels or locks; two audits race.

A lost server is one line and exit 3 with nothing written; a cancelled or locked-out query
is an issue in the facts (with its hint), not a failed audit. The publications family waits
while a test holds ACCESS EXCLUSIVE on pg_publication (per database): that is the moment.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from faults_support import Running, TableLock, assert_one_line, cli, make_shop

from audit.collect.session import LOCK_TIMEOUT_HINT, STATEMENT_TIMEOUT_HINT
from audit.demo.localpg import LocalPostgres

pytestmark = pytest.mark.pg


def _audit(server: LocalPostgres, db: str, out: Path, *extra: str) -> list[str]:
    return ["audit", "--dsn", server.conninfo(db), "--out", str(out), "--fail-on", "never", *extra]


CATALOG = "pg_catalog.pg_publication"
OUR_SESSION = (
    "SELECT {}(pid) FROM pg_stat_activity "
    "WHERE application_name = 'cdc-preflight' AND datname = %s AND wait_event_type = 'Lock'"
)


def _issues(out: Path) -> dict[str, dict[str, str]]:
    facts = json.loads((out / "facts.json").read_text())
    return {i["family"]: i for i in facts["issues"]}


def test_a_server_restart_during_sampling_is_one_line_and_writes_nothing(
    own_server: LocalPostgres, make_db: Callable[[LocalPostgres], str], tmp_path: Path
) -> None:
    db = make_db(own_server)
    out = tmp_path / "report"
    run = Running(*_audit(own_server, db, out, "--sample-seconds", "30", "--interval", "0.5"))
    run.wait_for("sampling")
    time.sleep(1.0)
    own_server.restart()
    code, _, stderr = run.finish()
    assert code == 3, stderr
    assert "lost the connection while collecting sampling" in assert_one_line(stderr)
    assert not out.exists()


def test_a_session_killed_mid_collection_is_one_line_and_writes_nothing(
    quiet_server: LocalPostgres, quiet_shop: str, tmp_path: Path
) -> None:
    server, shop = quiet_server, quiet_shop
    out = tmp_path / "report"
    # a fresh backend rebuilds the relation cache after DDL; do it before the catalog is
    # locked, and give a machine loaded by the rest of the suite time to connect
    psycopg.connect(server.conninfo(shop)).close()
    with TableLock(server, shop, CATALOG) as lock:
        run = Running(
            *_audit(server, shop, out, "--sample-seconds", "0", "--format", "json"),
            env={"PGCONNECT_TIMEOUT": "60"},
        )
        run.wait_for("publications")
        _when_waiting(lock, OUR_SESSION.format("pg_terminate_backend"), shop)
        code, _, stderr = run.finish()
    assert code == 3, stderr
    assert "lost the connection while collecting publications" in assert_one_line(stderr)
    assert not out.exists()


def _when_waiting(lock: TableLock, statement: str, db: str) -> None:
    """Run ``statement`` (on our session) once it waits for the lock."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        row = lock.conn.execute(statement, (db,)).fetchone()
        if row is not None:
            return
        time.sleep(0.02)
    raise AssertionError("the audit never waited for the lock")


def test_a_lock_timeout_is_an_issue_with_its_hint(
    quiet_server: LocalPostgres, quiet_shop: str, tmp_path: Path
) -> None:
    server, shop = quiet_server, quiet_shop
    out = tmp_path / "report"
    psycopg.connect(server.conninfo(shop)).close()  # the relation cache built before the lock
    with TableLock(server, shop, CATALOG):
        result = cli(*_audit(server, shop, out, "--sample-seconds", "0", "--format", "json"))
    assert result.returncode == 0, result.stderr
    issue = _issues(out)["publications"]
    assert issue["hint"] == LOCK_TIMEOUT_HINT
    assert "lock timeout" in issue["reason"]


def test_a_cancelled_statement_is_an_issue_with_its_hint(
    server: LocalPostgres, shop: str, tmp_path: Path
) -> None:
    """pg_cancel_backend raises what statement_timeout raises (QueryCanceled)."""
    out = tmp_path / "report"
    # a fresh backend rebuilds the relation cache after DDL; do it before the catalog is
    # locked, and give a machine loaded by the rest of the suite time to connect
    psycopg.connect(server.conninfo(shop)).close()
    with TableLock(server, shop, CATALOG) as lock:
        run = Running(
            *_audit(server, shop, out, "--sample-seconds", "0", "--format", "json"),
            env={"PGCONNECT_TIMEOUT": "60"},
        )
        run.wait_for("publications")
        _when_waiting(lock, OUR_SESSION.format("pg_cancel_backend"), shop)
        code, _, stderr = run.finish()
    assert code == 0, stderr
    assert _issues(out)["publications"]["hint"] == STATEMENT_TIMEOUT_HINT


@pytest.mark.slow
def test_two_concurrent_audits_into_one_out(
    server: LocalPostgres, make_db: Callable[[LocalPostgres], str], tmp_path: Path
) -> None:
    db = make_db(server)
    make_shop(server, db)
    out = tmp_path / "report"
    # the first run samples long enough that the second (a new interpreter: seconds on a
    # loaded machine) starts while it still holds the lock, which it took before connecting
    first = Running(
        *_audit(server, db, out, "--sample-seconds", "15", "--interval", "1", "--format", "json")
    )
    first.wait_for("sampling")
    second = cli(*_audit(server, db, out, "--sample-seconds", "0", "--format", "json"))
    assert second.returncode == 3
    assert "another cdc-preflight run" in assert_one_line(second.stderr)
    code, _, stderr = first.finish()
    assert code == 0, stderr
    report = json.loads((out / "report.json").read_text())
    assert report["interrupted"] is None
