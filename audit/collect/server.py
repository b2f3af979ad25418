"""The server family: version, recovery state, platform (RDS, Aurora), uptime, statistics reset."""

from __future__ import annotations

from audit.collect.session import Session
from audit.facts import Server


def read_server(session: Session) -> Server:
    row = session.row("server")
    has_aurora_version = row.pop("has_aurora_version")
    can_read_control = row.pop("can_read_control")
    if has_aurora_version:
        row["aurora_version"] = session.attempt(
            "server.aurora_version", lambda: session.row("server_aurora")["aurora_version"]
        )
    if can_read_control:
        row["system_identifier"] = session.attempt(
            "server.system_identifier",
            lambda: session.row("server_control")["system_identifier"],
        )
    else:
        session.record(
            "server.system_identifier",
            "no EXECUTE privilege on pg_control_system()",
            "GRANT EXECUTE ON FUNCTION pg_control_system() TO the auditing role",
        )
    return Server.model_validate(row)
