"""Connection-level failures: one line, human-readable, never the password."""

from __future__ import annotations

import socket

import psycopg
import pytest

from audit.collect import CollectError, collect_facts
from audit.collect.connection import open_session
from audit.collect.errors import one_line, secrets_in
from audit.demo.localpg import LocalPostgres

pytestmark = pytest.mark.pg

PASSWORD = "s3cr3t-Pa55"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def collect_error(conninfo: str) -> str:
    with pytest.raises(CollectError) as caught:
        collect_facts(conninfo, sample_seconds=0)
    message = str(caught.value)
    assert "\n" not in message
    assert PASSWORD not in message
    return message


def test_refused_port() -> None:
    conninfo = f"host=127.0.0.1 port={closed_port()} user=postgres password={PASSWORD}"
    message = collect_error(conninfo)
    assert message.startswith("cannot connect: ")
    assert "Connection refused" in message


def test_wrong_password_keyword_and_uri_forms(pg_server: LocalPostgres) -> None:
    keyword = f"host=127.0.0.1 port={pg_server.port} user=postgres password={PASSWORD}"
    uri = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{pg_server.port}/postgres"
    for conninfo in (keyword, uri):
        message = collect_error(conninfo)
        assert 'password authentication failed for user "postgres"' in message


def test_missing_database(pg_server: LocalPostgres) -> None:
    conninfo = pg_server.conninfo("no_such_db")
    message = collect_error(conninfo)
    assert 'database "no_such_db" does not exist' in message
    assert pg_server.superuser_password not in message


def test_malformed_connection_string_does_not_echo_the_password() -> None:
    message = collect_error(f"host=127.0.0.1 password='{PASSWORD}' oops")
    assert message.startswith("invalid connection string: ")
    message = collect_error(f"host=127.0.0.1 password={PASSWORD} bogus_option=1")
    assert "bogus_option" in message


def test_environment_supplies_what_the_conninfo_leaves_out(
    pg_server: LocalPostgres, fresh_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "PGHOST": "127.0.0.1",
        "PGPORT": str(pg_server.port),
        "PGUSER": "postgres",
        "PGPASSWORD": pg_server.superuser_password,
        "PGDATABASE": fresh_db,
    }.items():
        monkeypatch.setenv(name, value)
    for conninfo in (None, ""):
        facts = collect_facts(conninfo, sample_seconds=0)
        assert facts.target.model_dump() == {
            "host": "127.0.0.1",
            "port": pg_server.port,
            "dbname": fresh_db,
            "user": "postgres",
            "application_name": "cdc-preflight",
        }


def test_session_is_read_only_with_timeouts(pg_server: LocalPostgres, fresh_db: str) -> None:
    with open_session(pg_server.conninfo(fresh_db)) as conn:
        row = conn.execute(
            "SELECT current_setting('default_transaction_read_only'),"
            " current_setting('statement_timeout'), current_setting('lock_timeout'),"
            " current_setting('application_name')"
        ).fetchone()
        assert row == ("on", "30s", "1s", "cdc-preflight")
        assert conn.autocommit is True
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE should_fail (id int)")


def test_secrets_are_found_in_every_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    assert PASSWORD in secrets_in(f"password={PASSWORD}")
    assert PASSWORD in secrets_in(f"password = '{PASSWORD}'")
    assert "it's" in secrets_in(r"password='it\'s'")
    assert PASSWORD in secrets_in(f"postgresql://u:{PASSWORD}@h/db")
    assert "p@ss" in secrets_in("postgresql://u:p%40ss@h/db")
    assert PASSWORD in secrets_in(f"postgresql://u@h/db?password={PASSWORD}")
    assert one_line(f"a\n\tb {PASSWORD}", [PASSWORD]) == "a; b ***"
