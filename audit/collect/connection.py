"""Opening the audit's read-only session and describing where it connected."""

from __future__ import annotations

import os
import re
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from audit.collect.errors import CollectError, one_line, secrets_in
from audit.facts import Target

APPLICATION_NAME = "cdc-preflight"
DEFAULT_CONNECT_TIMEOUT = 10
MIN_VERSION_NUM = 130000

# Applied with SET right after connecting: every statement runs read-only and gives up early.
SESSION_SETTINGS = {
    "default_transaction_read_only": "on",
    "statement_timeout": "30s",
    "lock_timeout": "1s",
    "idle_in_transaction_session_timeout": "60s",
    # sorts and hashes over the catalog of a large database stay in memory
    "work_mem": "64MB",
}


def open_session(conninfo: str | None) -> psycopg.Connection[Any]:
    """Connect (libpq conventions apply to anything ``conninfo`` leaves out) and make it read-only.

    Raises :class:`CollectError` when the server cannot be reached, refuses us, or is not a
    PostgreSQL we audit.
    """
    secrets = secrets_in(conninfo)
    if _ambiguous_at(conninfo or ""):
        raise CollectError(
            "invalid connection string: the URI has more than one @ before the host; "
            "write an @ in the user name or password as %40"
        )
    try:
        given = conninfo_to_dict(conninfo or "")
    except psycopg.Error as exc:
        raise CollectError(f"invalid connection string: {one_line(str(exc), secrets)}") from None
    extra: dict[str, Any] = {}
    if "connect_timeout" not in given and "PGCONNECT_TIMEOUT" not in os.environ:
        extra["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT
    if "application_name" not in given:
        extra["application_name"] = APPLICATION_NAME
    try:
        conn = psycopg.connect(conninfo or "", autocommit=True, **extra)
    except psycopg.Error as exc:
        message = one_line(str(exc), secrets).removeprefix("connection failed: ")
        host, where = _where(given)
        if not host or host not in message:
            message = f"{where}: {message}"
        raise CollectError(f"cannot connect: {message}") from None
    try:
        _check_server(conn)
        for name, value in SESSION_SETTINGS.items():
            conn.execute(sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
    except psycopg.Error as exc:
        conn.close()
        raise CollectError(
            f"cannot start a read-only session: {one_line(str(exc), secrets)}"
        ) from None
    except CollectError:
        conn.close()
        raise
    return conn


def _ambiguous_at(conninfo: str) -> bool:
    """A URI whose authority holds two @: libpq would read part of the password as the host."""
    scheme, sep, rest = conninfo.partition("://")
    if not sep or not scheme.lower().startswith("postgres"):
        return False
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return authority.count("@") > 1


def _where(given: dict[str, Any]) -> tuple[str, str]:
    """The (first) host and ``host:port`` of the attempt: from the DSN, else libpq's environment."""
    hosts = str(given.get("host") or given.get("hostaddr") or os.environ.get("PGHOST") or "")
    port = str(given.get("port") or os.environ.get("PGPORT") or "5432")
    first = hosts.split(",", maxsplit=1)[0]
    if not first or first.startswith("/"):
        return first, f"the local socket {first or 'directory'} (port {port})"
    if "," in hosts:
        return first, f"{hosts} (port {port})"
    return first, f"{first}:{port}"


def _check_server(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute("SELECT version()").fetchone()
    version = str(row[0]) if row else ""
    if not version.startswith("PostgreSQL"):
        raise CollectError(f"the server is not PostgreSQL: {one_line(version)}")
    num = conn.info.server_version
    if num < MIN_VERSION_NUM:
        shown = f"{num // 10000}.{num % 10000}"
        raise CollectError(
            f"PostgreSQL {shown} is not supported: cdc-preflight audits PostgreSQL 13 and later"
        )


def target_of(conn: psycopg.Connection[Any]) -> Target:
    """Where we are connected, from libpq; never the password."""
    info = conn.info
    return Target(
        host=info.host or None,
        port=info.port or None,
        dbname=info.dbname or None,
        user=info.user or None,
        application_name=info.parameter_status("application_name") or APPLICATION_NAME,
    )
