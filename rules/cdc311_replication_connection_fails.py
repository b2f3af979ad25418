"""CDC311: a replication connection to the audited database cannot be opened."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from audit.engine import (
    Finding,
    NotEvaluated,
    RuleContext,
    Severity,
    rule,
)
from audit.facts import Facts
from audit.facts.connection import ReplicationConnection
from audit.remedy import ChangeWindow, Fix, Step, note, sql
from rules._hba import Connection, HbaMatch, describe, first_match
from rules._sql import quote_ident

SUBJECT = "replication-connection"


@rule(
    code="CDC311",
    name="replication-connection-fails",
    severity=Severity.CRITICAL,
    requires=("replication_connection",),
)
def replication_connection_fails(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A replication connection to the audited database cannot be opened.

    ## What it checks
    The audit opens the connection a CDC connector streams over: a logical replication
    connection (`replication=database`) with the audit's own connection string and password,
    runs `IDENTIFY_SYSTEM` on it (read-only: no slot is created) and closes it
    (`replication_connection` in the facts). Any refusal fails the check and is quoted as the
    server or libpq gave it: `max_wal_senders` used up, `pg_hba.conf` (`no pg_hba.conf entry`,
    `pg_hba.conf rejects`), SSL or network errors, a pooler that does not pass the replication
    protocol, a role without the attribute. The connection is attempted only when the auditing
    role may open one (superuser, `REPLICATION`, or `rds_replication` on RDS and Aurora); for
    another role the check is not evaluated, with that reason, and CDC301 reports the role.

    When the audit may read `pg_hba_file_rules` (superusers only by default), the line the
    connection meets is part of the evidence. With `role` under `[connector]` in the
    configuration naming a role other than the auditing one, the check also finds the line
    that role's connection would meet from the same client address, database and transport,
    and fails when no line admits it or the line is `reject`. Group lines (`+group`),
    `samenet`, host names and lines the server cannot load make that answer undetermined: the
    check is then not evaluated rather than guessed.

    ## Why it matters for CDC
    The connector streams changes over a replication connection; a role attribute that allows
    it says nothing about `max_wal_senders`, `pg_hba.conf`, SSL, the network path or a pooler
    in front. PeerDB's mirror validation opens a replication connection and runs
    `IDENTIFY_SYSTEM`, and Airbyte's connection check opens a CDC connection, for this reason:
    otherwise the failure shows at the first start, after the slot and the snapshot were
    planned. A logical replication connection matches the `pg_hba.conf` lines of its database,
    like an ordinary connection; the `replication` keyword in `pg_hba.conf` covers physical
    replication connections only, so a line written for it does not admit a connector.

    ## How to fix
    Read the server's message in the finding. `number of requested standby connections exceeds
    max_wal_senders`: raise `max_wal_senders` (restart; see CDC003). `pg_hba.conf`: add a line
    for the connector's role, database and address with a password method, then reload.
    `unsupported startup parameter: replication` or `RDS Proxy currently doesn't support
    streaming replication mode`: point the connector at the server itself, not the pooler or
    proxy (CDC312). SSL and timeouts: check `sslmode`, certificates and the network path from
    the connector's host.

    ## References
    - https://www.postgresql.org/docs/current/protocol-replication.html
    - https://www.postgresql.org/docs/current/auth-pg-hba-conf.html
    - https://www.postgresql.org/docs/current/view-pg-hba-file-rules.html
    - https://github.com/PeerDB-io/peerdb/blob/main/flow/connectors/postgres/validate.go
    - https://docs.airbyte.com/integrations/sources/postgres
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-in-the-cloud
    """
    probe = facts.replication_connection
    assert probe is not None
    if not probe.attempted:
        raise NotEvaluated(probe.not_attempted_reason or "the replication connection was not tried")
    own = _own_connection(facts)
    if not probe.ok:
        yield _refused(facts, probe, own)
        return
    connector = ctx.connector_role
    if connector and own is not None and connector != own.role:
        yield from _connector_line(facts, own, connector)


def _own_connection(facts: Facts) -> Connection | None:
    """The audit's own connection as pg_hba.conf sees it, when the facts say enough."""
    path, role = facts.connection_path, facts.role
    database = facts.server.current_database if facts.server else facts.target.dbname
    user = role.name if role else facts.target.user
    if path is None or database is None or user is None:
        return None
    return Connection(
        database=database,
        role=user,
        local=path.server_addr is None,
        client_addr=path.client_addr,
        ssl=path.ssl,
        member_of=tuple(role.member_of) if role else None,
    )


def _line_evidence(facts: Facts, conn: Connection | None) -> dict[str, Any]:
    if conn is None or facts.hba_rules is None:
        issue = facts.issue_for("hba_rules")
        return {"hba_line": None, "hba_unread": issue.reason if issue else "not collected"}
    match = first_match(facts.hba_rules, conn)
    return {"hba_line": _match_text(match)}


def _match_text(match: HbaMatch) -> str:
    if match.undetermined is not None:
        return f"undetermined: {match.undetermined}"
    return describe(match.line) if match.line else "no line matches"


def _refused(facts: Facts, probe: ReplicationConnection, own: Connection | None) -> Finding:
    error = probe.error or "unknown error"
    database = own.database if own else facts.target.dbname
    user = own.role if own else facts.target.user
    where = "connecting" if probe.stage == "connect" else "running IDENTIFY_SYSTEM"
    return Finding(
        subject=SUBJECT,
        message=(
            f"a replication connection to database {database} as role {user} fails "
            f"({where}): {error}"
        ),
        evidence={
            "stage": probe.stage,
            "error": error,
            "sqlstate": probe.sqlstate,
            "database": database,
            "role": user,
            "host": facts.target.host,
            "port": facts.target.port,
            "client_addr": facts.connection_path.client_addr if facts.connection_path else None,
            **_line_evidence(facts, own),
        },
        fix=Fix(steps=tuple(_steps_for(error, database, user, facts))),
    )


def _steps_for(error: str, database: str | None, user: str | None, facts: Facts) -> list[Step]:
    text = error.lower()
    if "max_wal_senders" in text:
        return [
            note(
                "Every WAL sender is taken or max_wal_senders is 0: raise max_wal_senders "
                "(see CDC003 for the value) and restart the server.",
                ChangeWindow.RESTART,
                setting="max_wal_senders",
            )
        ]
    if "pg_hba.conf" in text:
        return _hba_steps(database, user, facts)
    if "replication role" in text or "permission denied" in text:
        return [sql(f"ALTER ROLE {quote_ident(user or '<role>')} WITH REPLICATION;", role=user)]
    if "startup parameter" in text or "proxy" in text:
        return [
            note(
                "A pooler or proxy answered instead of the server: give the connector the "
                "server's own host and port (see CDC312).",
                host=facts.target.host,
            )
        ]
    return [
        note(
            "Check the connection from the connector's host: sslmode and certificates, "
            "firewalls and security groups, and the server's log at the time of the audit.",
            error=error,
        )
    ]


def _hba_steps(database: str | None, user: str | None, facts: Facts) -> list[Step]:
    path = facts.connection_path
    local = path is not None and path.server_addr is None
    if local:
        line = f"local   {database}   {user}   scram-sha-256"
    else:
        address = path.client_addr if path and path.client_addr else "<connector address>"
        mask = "/128" if ":" in address else "/32" if address[0].isdigit() else ""
        kind = "host" if path is not None and path.ssl is False else "hostssl"
        line = f"{kind}   {database}   {user}   {address}{mask}   scram-sha-256"
    return [
        note(
            f"Add this line to pg_hba.conf before any line that rejects it:\n{line}\n"
            "(the database column names the database: the replication keyword matches physical "
            "replication connections only)",
            ChangeWindow.RELOAD,
            database=database,
            role=user,
        ),
        sql("SELECT pg_reload_conf();", ChangeWindow.RELOAD),
    ]


def _connector_line(facts: Facts, own: Connection, connector: str) -> Iterator[Finding]:
    """The connector's role, from the audit's address: is there a line that admits it?"""
    if facts.hba_rules is None:
        issue = facts.issue_for("hba_rules")
        raise NotEvaluated(
            f"pg_hba.conf could not be read ({issue.reason if issue else 'not collected'}): "
            f"the connection of role {connector} is not judged; the auditing role's works"
        )
    conn = Connection(
        database=own.database,
        role=connector,
        local=own.local,
        client_addr=own.client_addr,
        ssl=own.ssl,
    )
    match = first_match(facts.hba_rules, conn)
    if match.undetermined is not None:
        raise NotEvaluated(
            f"which pg_hba.conf line role {connector} meets is undetermined: {match.undetermined}"
        )
    if not match.rejects:
        return
    origin = "the local socket" if conn.local else f"host {conn.client_addr}"
    if match.line is None:
        server_says = (
            f'no pg_hba.conf entry for host "{conn.client_addr}", user "{connector}", '
            f'database "{conn.database}"'
            if not conn.local
            else f'no pg_hba.conf entry for user "{connector}", database "{conn.database}"'
        )
        reason = "no pg_hba.conf line admits it"
    else:
        server_says = f'pg_hba.conf rejects connection for user "{connector}"'
        reason = f"pg_hba.conf {describe(match.line)} rejects it"
    yield Finding(
        subject=f"role:{connector}",
        message=(
            f"role {connector} cannot open a replication connection to database "
            f"{conn.database} from {origin} (the audit's address): {reason}; the server would "
            f"answer: {server_says}"
        ),
        evidence={
            "role": connector,
            "database": conn.database,
            "client_addr": conn.client_addr,
            "local": conn.local,
            "hba_line": _match_text(match),
        },
        fix=Fix(steps=tuple(_hba_steps(conn.database, connector, facts))),
    )
