"""The connection_path and hba_rules families: the way to the server, and pg_hba.conf's lines."""

from __future__ import annotations

from audit.collect.session import Session
from audit.facts.connection import ConnectionPath, HbaRule

HBA_GRANT = (
    "pg_hba_file_rules is readable by superusers only by default: "
    "GRANT SELECT ON pg_hba_file_rules TO the auditing role and "
    "GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO it"
)
_HBA_FIELDS = set(HbaRule.model_fields)


def read_connection_path(session: Session) -> tuple[ConnectionPath, bool]:
    """The session's ends, its backend PID, and whether the role may read pg_hba_file_rules."""
    row = session.row("connection_path")
    info = session.conn.info
    path = ConnectionPath(
        host=info.host or None,
        port=info.port or None,
        server_addr=row["server_addr"],
        server_port=row["server_port"],
        client_addr=row["client_addr"],
        port_setting=row["port_setting"],
        protocol_pid=info.backend_pid or None,
        backend_pids=[row["backend_pid"]],
        ssl=session.conn.pgconn.ssl_in_use,
    )
    return path, bool(row["can_read_hba"])


def with_last_backend_pid(session: Session, path: ConnectionPath) -> ConnectionPath:
    """``path`` with the backend PID of one more transaction, at the end of collection."""
    pid = session.row("backend_pid")["backend_pid"]
    return path.model_copy(update={"backend_pids": [*path.backend_pids, pid]})


def read_hba_rules(session: Session) -> list[HbaRule]:
    return [
        HbaRule.model_validate({k: v for k, v in row["line"].items() if k in _HBA_FIELDS})
        for row in session.rows("hba_rules")
    ]
