"""Facts about the way to the server: a replication connection, pg_hba.conf, and what sits between.

All three families are optional (``None`` in a facts file written before they existed).
``ReplicationConnection`` is the audit's own attempt to open the kind of connection a CDC
connector streams over; ``HbaRule`` is one line of ``pg_hba_file_rules`` (superusers only by
default); ``ConnectionPath`` compares what the client asked for with what the server saw, which
tells a pooler or a forwarding proxy apart from the server itself.
"""

from __future__ import annotations

from pydantic import Field

from audit.facts.base import FactModel
from audit.facts.lsn import Lsn


class ReplicationConnection(FactModel):
    """A logical replication connection (``replication=database``) and ``IDENTIFY_SYSTEM`` on it.

    ``attempted`` is False when the auditing role may not open one (``not_attempted_reason``
    says why); otherwise either ``ok`` with the server's answer, or the error as the server
    or libpq put it (one line, passwords masked).
    """

    attempted: bool
    not_attempted_reason: str | None = None
    ok: bool | None = Field(default=None, description="None when not attempted")
    stage: str | None = Field(
        default=None, description="where it failed: connect | identify_system"
    )
    error: str | None = Field(
        default=None, description="the server's (or libpq's) message, one line, no password"
    )
    sqlstate: str | None = None
    seconds: float | None = Field(default=None, description="connect + IDENTIFY_SYSTEM time")
    system_identifier: str | None = Field(default=None, description="IDENTIFY_SYSTEM systemid")
    timeline: int | None = None
    xlogpos: Lsn | None = None
    dbname: str | None = Field(default=None, description="the database the walsender is bound to")


class HbaRule(FactModel):
    """One line of ``pg_hba.conf`` as ``pg_hba_file_rules`` reads it (the file, not what the
    server loaded)."""

    line_number: int | None = None
    rule_number: int | None = Field(default=None, description="match order (16+)")
    file_name: str | None = Field(default=None, description="16+")
    type: str | None = Field(
        default=None, description="local | host | hostssl | hostnossl | hostgssenc | hostnogssenc"
    )
    database: list[str] | None = None
    user_name: list[str] | None = None
    address: str | None = None
    netmask: str | None = None
    auth_method: str | None = None
    error: str | None = Field(default=None, description="why the line cannot be applied")


class ConnectionPath(FactModel):
    """What the audit's session saw of the way to the server, to tell a pooler from a server.

    ``protocol_pid`` is the process ID libpq got in the BackendKeyData message; a pooler
    answers the startup itself and sends one of its own, so it differs from the server's
    ``pg_backend_pid()``. ``backend_pids`` are ``pg_backend_pid()`` at the start and at the end
    of collection, each in its own transaction: a change means transaction pooling.
    """

    host: str | None = Field(default=None, description="the host the client connected to")
    port: int | None = Field(default=None, description="the port the client connected to")
    server_addr: str | None = Field(
        default=None, description="inet_server_addr(); None over a unix socket"
    )
    server_port: int | None = Field(default=None, description="inet_server_port()")
    client_addr: str | None = Field(default=None, description="inet_client_addr()")
    port_setting: int | None = Field(default=None, description="the server's own port setting")
    protocol_pid: int | None = None
    backend_pids: list[int] = Field(default_factory=list)
    ssl: bool | None = Field(default=None, description="the session is encrypted with SSL")
