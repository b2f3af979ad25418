"""CDC312: the audit reached the server through a pooler, proxy or forwarded port."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.facts.connection import ConnectionPath
from audit.remedy import Fix, note

PGBOUNCER_PORT = 6432
# Endpoints that are poolers or proxies by their documented host name patterns.
_KNOWN_ENDPOINTS: tuple[tuple[re.Pattern[str], str, Severity], ...] = (
    (
        re.compile(r"\.proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com(\.cn)?$"),
        "an Amazon RDS Proxy endpoint (RDS Proxy does not support replication connections)",
        Severity.CRITICAL,
    ),
    (
        re.compile(r"\.pooler\.supabase\.com$"),
        "a Supabase connection pooler (Supavisor) endpoint",
        Severity.HIGH,
    ),
    (
        re.compile(r"-pooler\.[a-z0-9.-]+\.neon\.tech$"),
        "a Neon pooled endpoint (PgBouncer)",
        Severity.HIGH,
    ),
)


@dataclass(frozen=True)
class Sign:
    name: str
    severity: Severity
    text: str


@rule(
    code="CDC312",
    name="pooler-in-front",
    severity=Severity.MEDIUM,
    requires=("connection_path",),
)
def pooler_in_front(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The audit reached the server through a pooler, a proxy or a forwarded port.

    ## What it checks
    What the audit's own session saw on the way to the server (`connection_path` in the
    facts), strongest sign first:

    - critical: `pg_backend_pid()` changed between two transactions of one session (read at the
      start and at the end of collection): a transaction pooler;
    - critical: the host is an Amazon RDS Proxy endpoint (`*.proxy-*.rds.amazonaws.com`);
    - high: the process ID in the protocol's BackendKeyData differs from `pg_backend_pid()`: a
      pooler answered the startup with a key of its own (PgBouncer, Pgpool-II, Odyssey,
      Supavisor do);
    - high: a documented pooler host name (Supabase `*.pooler.supabase.com`, Neon `*-pooler.*`);
    - low: the port connected to is not the port the server accepted on (`inet_server_port()`),
      or the host connected to is an address other than `inet_server_addr()`; or the port is
      6432, PgBouncer's default. A container port mapping, NAT or a TCP load balancer gives the
      same picture, so this is a warning with the evidence, not a verdict.

    One finding carries every sign seen; its severity is the strongest one's. A unix-socket
    connection has no addresses to compare and is judged on the process IDs only.

    ## Why it matters for CDC
    A CDC connector needs the server itself: its replication connection speaks a protocol most
    poolers do not pass (PgBouncer before 1.23 refuses the `replication` startup parameter, and
    RDS Proxy answers that it does not support streaming replication mode), and its snapshot
    runs in one long transaction that a transaction pooler cannot keep on one server
    connection. Debezium's initial snapshot and pgstream's preflight rely on an exported
    snapshot that must be visible on the same server. A load balancer over several servers
    can send the connector to a standby or to another primary after a restart, where its slot
    does not exist.

    ## How to fix
    Give the connector the server's own host and port (for RDS and Aurora: the instance or
    cluster writer endpoint, not a proxy endpoint; for Supabase and Neon: the direct, unpooled
    connection string). If the evidence shows only a port forward you put there on purpose
    (a container mapping), the connector can keep it: waive the finding with that reason.

    ## References
    - https://www.pgbouncer.org/features.html
    - https://www.pgbouncer.org/changelog.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.troubleshooting.html
    - https://fivetran.com/docs/connectors/databases/postgresql/troubleshooting/rds-proxy-replication-error
    - https://supabase.com/docs/guides/database/connecting-to-postgres
    - https://github.com/xataio/pgstream/tree/main/pkg/stream/preflight
    - https://www.postgresql.org/docs/current/functions-info.html
    """
    path = facts.connection_path
    assert path is not None
    signs = [*_process_signs(path), *_host_signs(path), *_port_signs(path)]
    if not signs:
        return
    worst = min(signs, key=lambda s: s.severity.rank)
    where = f"{path.host}:{path.port}" if path.host else "the endpoint"
    yield Finding(
        subject=f"endpoint:{path.host}:{path.port}",
        message=f"{where} is not the server itself: " + "; ".join(s.text for s in signs),
        severity=worst.severity,
        evidence={
            "signs": [s.name for s in signs],
            "host": path.host,
            "port": path.port,
            "server_addr": path.server_addr,
            "server_port": path.server_port,
            "port_setting": path.port_setting,
            "protocol_pid": path.protocol_pid,
            "backend_pids": path.backend_pids,
        },
        fix=Fix.of(
            note(
                "Point the connector (and this audit) at the server's own host and port, "
                "not at a pooler, proxy or load balancer.",
                host=path.host,
                port=path.port,
            )
        ),
    )


def _process_signs(path: ConnectionPath) -> Iterator[Sign]:
    pids = path.backend_pids
    if len(set(pids)) > 1:
        yield Sign(
            "transaction_pooling",
            Severity.CRITICAL,
            f"pg_backend_pid() changed between transactions of one session ({pids[0]} then "
            f"{pids[-1]}): a transaction pooler",
        )
    if pids and path.protocol_pid is not None and path.protocol_pid != pids[0]:
        yield Sign(
            "protocol_pid_differs",
            Severity.HIGH,
            f"the startup's process ID {path.protocol_pid} is not the server's "
            f"pg_backend_pid() {pids[0]}: a pooler answered the connection",
        )


def _host_signs(path: ConnectionPath) -> Iterator[Sign]:
    host = (path.host or "").lower().rstrip(".")
    for pattern, what, severity in _KNOWN_ENDPOINTS:
        if pattern.search(host):
            yield Sign("known_endpoint", severity, f"{host} is {what}")
            return


def _port_signs(path: ConnectionPath) -> Iterator[Sign]:
    if path.server_addr is None:  # unix socket: nothing to compare
        return
    if path.port is not None and path.server_port is not None and path.port != path.server_port:
        yield Sign(
            "port_forwarded",
            Severity.LOW,
            f"port {path.port} was connected to but the server accepted on "
            f"{path.server_port}: something forwards the connection",
        )
    elif path.port == PGBOUNCER_PORT:
        yield Sign("pgbouncer_port", Severity.LOW, f"port {PGBOUNCER_PORT} is PgBouncer's default")
    if _is_other_address(path.host, path.server_addr):
        yield Sign(
            "address_forwarded",
            Severity.LOW,
            f"{path.host} was connected to but the server's address is {path.server_addr}",
        )


def _is_other_address(host: str | None, server_addr: str) -> bool:
    """``host`` is an IP address, and not the server's (a host name is not resolved here)."""
    try:
        asked = ipaddress.ip_address(host or "")
        seen = ipaddress.ip_address(server_addr)
    except ValueError:
        return False
    return asked != seen and not (asked.is_loopback and seen.is_loopback)
