"""The replication_connection family: open the connection a CDC connector streams over, read-only.

A logical replication connection (``replication=database``, a walsender bound to the audited
database) is opened with the audit's own connection string and password, and asked
``IDENTIFY_SYSTEM``: the server's system identifier, timeline and WAL position. That command
reads; nothing here creates a slot or starts streaming. Whatever stops the connection (the
role's attribute, ``max_wal_senders``, ``pg_hba.conf``, SSL, a pooler that does not speak the
replication protocol) is recorded as the server or libpq put it, without the password.

It is attempted only when the auditing role may open such a connection at all (superuser,
``REPLICATION``, or ``rds_replication`` on RDS and Aurora): for any other role the server's
answer is known in advance, and CDC301 already reports the missing attribute.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from audit.collect.connection import APPLICATION_NAME, DEFAULT_CONNECT_TIMEOUT
from audit.collect.errors import one_line
from audit.facts import Role
from audit.facts.connection import ReplicationConnection

RDS_REPLICATION_ROLE = "rds_replication"
# libpq's "connection to server at ..., port ... failed: FATAL:  <message>": the server's part
_SERVER_MESSAGE = re.compile(r"\b(?:FATAL|ERROR):\s+(?P<message>.*)$", re.S)


def reason_not_to_attempt(role: Role | None, managed: bool) -> str | None:
    """Why the auditing role cannot open a replication connection, or None if it may."""
    if role is None:
        return "not attempted: the role's attributes could not be read"
    if role.superuser or role.replication:
        return None
    if managed and RDS_REPLICATION_ROLE in role.member_of:
        return None
    needs = "REPLICATION or rds_replication" if managed else "REPLICATION"
    return f"not attempted: role {role.name} lacks {needs}"


def not_attempted(reason: str) -> ReplicationConnection:
    return ReplicationConnection(attempted=False, not_attempted_reason=reason)


def probe_replication_connection(conninfo: str | None, secrets: list[str]) -> ReplicationConnection:
    """Open a logical replication connection as the audit did, run IDENTIFY_SYSTEM, close it."""
    given = conninfo_to_dict(conninfo or "")
    extra: dict[str, Any] = {"replication": "database"}
    if "connect_timeout" not in given and "PGCONNECT_TIMEOUT" not in os.environ:
        extra["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT
    if "application_name" not in given:
        extra["application_name"] = APPLICATION_NAME
    began = time.monotonic()
    try:
        # a walsender accepts the simple query protocol only: no parameters, never prepared
        conn = psycopg.connect(conninfo or "", autocommit=True, prepare_threshold=None, **extra)
    except psycopg.Error as exc:
        return _failed("connect", exc, secrets)
    try:
        with conn:
            row = conn.execute("IDENTIFY_SYSTEM").fetchone()
    except psycopg.Error as exc:
        return _failed("identify_system", exc, secrets)
    if row is None:
        return ReplicationConnection(
            attempted=True, ok=False, stage="identify_system", error="IDENTIFY_SYSTEM sent no row"
        )
    systemid, timeline, xlogpos, dbname = row
    return ReplicationConnection(
        attempted=True,
        ok=True,
        seconds=round(time.monotonic() - began, 3),
        system_identifier=str(systemid),
        timeline=int(timeline),
        xlogpos=xlogpos,
        dbname=dbname,
    )


def _failed(stage: str, exc: psycopg.Error, secrets: list[str]) -> ReplicationConnection:
    text = exc.diag.message_primary or str(exc)
    match = _SERVER_MESSAGE.search(text)
    message = match["message"] if match else text.removeprefix("connection failed: ")
    return ReplicationConnection(
        attempted=True,
        ok=False,
        stage=stage,
        error=one_line(message, secrets),
        sqlstate=exc.sqlstate,
    )
