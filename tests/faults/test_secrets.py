"""No password on any channel: stdout, stderr (with --debug too) and every file written.

The passwords hold every character that breaks a naive parser (@ : / ? # % & quotes, a
space); they are given as URI (escaped and not), key=value and PGPASSWORD, to runs that
succeed and runs that fail at every step of connecting.
"""

from __future__ import annotations

import itertools
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from faults_support import Running, assert_one_line, cli, files_under

from audit.demo.localpg import LocalPostgres

pytestmark = pytest.mark.pg

ODD = "Zq7!x@y:z/w?#%&' \"pw"
_roles = itertools.count()


def _role(server: LocalPostgres, password: str) -> str:
    from psycopg import sql

    name = f"auditor_{next(_roles)}_{secrets.token_hex(3)}"
    with server.connect() as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )
    return name


def _keyword(password: str) -> str:
    return "'" + password.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _assert_nowhere(secret: str, output: tuple[str, str], *dirs: Path) -> None:
    stdout, stderr = output
    for form in {secret, quote(secret, safe="")}:
        assert form not in stdout, stdout
        assert form not in stderr, stderr
        for path in [p for d in dirs for p in files_under(d)]:
            assert form.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_successful_runs_never_show_the_password(server: LocalPostgres, tmp_path: Path) -> None:
    password = ODD + secrets.token_hex(4)
    user = _role(server, password)
    host, port = "127.0.0.1", server.port
    dsns = {
        "uri": f"postgresql://{user}:{quote(password, safe='')}@{host}:{port}/postgres",
        "keyword": f"host={host} port={port} dbname=postgres user={user} "
        f"password={_keyword(password)}",
    }
    for name, dsn in dsns.items():
        out = tmp_path / name
        args = ["--out", str(out), "--format", "json,md", "--debug", "--fail-on", "never"]
        result = cli("audit", "--dsn", dsn, "--sample-seconds", "1", "--interval", "0.5", *args)
        assert result.returncode == 0, result.stderr
        _assert_nowhere(password, (result.stdout, result.stderr), out)
    out = tmp_path / "env"
    env = {"PGPASSWORD": password, "PGHOST": host, "PGPORT": str(port), "PGUSER": user}
    env["PGDATABASE"] = "postgres"
    result = cli("collect", "--out", str(out), "--sample-seconds", "0", "--debug", env=env)
    assert result.returncode == 0, result.stderr
    _assert_nowhere(password, (result.stdout, result.stderr), out)


FAILING = [
    "postgresql://u:{pw}@[127.0.0.1:{port}/app",  # unterminated IPv6 bracket
    "postgresql://u:xx@{pw}@127.0.0.1:{port}/app",  # an unescaped @ in the password
    "postgresql://u:{pw}/x@127.0.0.1:{port}/app",  # an unescaped / in the password
    "postgresql://u:{pw}@127.0.0.1:{port}/app?sslmode=bogus",
    "postgresql://u:{pw}@127.0.0.1:99999/app",
    "postgresql://u:{pw}%ZZ@127.0.0.1:{port}/app",  # a broken percent escape
    "postgresql://u:{pw}@127.0.0.1:{port}/app",  # wrong password
    "host=127.0.0.1 port={port} user=u password={pw} dbname='app",  # unterminated quote
    "host=127.0.0.1 port={port} user=u password='{pw}' sslmode=bogus",
    "host=127.0.0.1 port={silent} user=u password={pw} connect_timeout=1",  # timeout
]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never answers: libpq's connect_timeout expires."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


@pytest.mark.slow
def test_failing_connections_never_show_the_password(
    server: LocalPostgres, tmp_path: Path, silent_port: int
) -> None:
    """Each malformed or failing DSN, with --debug (and one without), in parallel."""
    password = "S3cretPW" + secrets.token_hex(4)
    runs = []
    for number, template in enumerate([*FAILING, FAILING[0]]):
        dsn = template.format(pw=password, port=server.port, silent=silent_port)
        debug = ["--debug"] if number < len(FAILING) else []
        args = ["--dsn", dsn, "--out", str(tmp_path / f"o{number}"), "--sample-seconds", "0"]
        runs.append(Running("audit", *args, *debug))
    env = {"PGPASSWORD": password, "PGHOST": "127.0.0.1", "PGPORT": str(silent_port)}
    env["PGCONNECT_TIMEOUT"] = "1"
    runs.append(
        Running("collect", "-o", str(tmp_path / "f.json"), "--sample-seconds", "0", env=env)
    )
    for run in runs:
        code, stdout, stderr = run.finish()
        assert code == 3, stderr
        assert "Traceback" not in stderr
        _assert_nowhere(password, (stdout, stderr), tmp_path)


def test_a_connection_timeout_names_host_and_port(tmp_path: Path, silent_port: int) -> None:
    result = cli(
        "collect", "--out", str(tmp_path / "o"), "--sample-seconds", "0",
        "--dsn", f"host=127.0.0.1 port={silent_port} password=S3cretPW connect_timeout=1",
    )  # fmt: skip
    assert result.returncode == 3
    line = assert_one_line(result.stderr)
    assert f"127.0.0.1:{silent_port}" in line and "timeout" in line
    assert "S3cretPW" not in result.stderr


def test_a_short_password_is_masked_as_a_token_not_inside_words(
    tmp_path: Path, silent_port: int
) -> None:
    """A password that is also a piece of ordinary words ("on", as in "connection") is masked
    where it stands alone, and the error around it stays readable."""
    dsn = f"postgresql://auditor:on@[127.0.0.1:{silent_port}/app"  # malformed: unclosed [
    result = cli("audit", "--dsn", dsn, "--out", str(tmp_path / "o"), "--sample-seconds", "0")
    assert result.returncode == 3, result.stderr
    line = assert_one_line(result.stderr)
    assert "auditor:on@" not in line and ":on@" not in line
    assert "connection" in line.lower() or "dsn" in line.lower(), line
    assert "c***nnecti***" not in line


def test_hide_secrets_matches_tokens_only() -> None:
    from audit.collect.errors import hide_secrets

    text = "connection to server on host failed: password=on, uri u:on@h, 'on'"
    assert hide_secrets(text, ["on"]) == (
        "connection to server *** host failed: password=***, uri u:***@h, '***'"
    )
    # a secret with punctuation at its edges matches beside letters too
    assert hide_secrets("x@bc!y and u:S3cret@h", ["@bc!", "S3cret"]) == "x***y and u:***@h"
    # longest first: a secret inside another is not left half-masked
    assert hide_secrets("pw=abcdef", ["abc", "abcdef"]) == "pw=***"
