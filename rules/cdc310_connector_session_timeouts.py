"""CDC310: a timeout in force for the connector's sessions ends its snapshot or its stream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from audit.engine import (
    Finding,
    NotEvaluated,
    RuleContext,
    Severity,
    rule,
)
from audit.estimate.model import Snapshot
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note, sql
from rules._estimates import estimates_for
from rules._sql import quote_ident
from rules._units import as_milliseconds, fmt_duration

STATEMENT = "statement_timeout"
TRANSACTION = "transaction_timeout"
IDLE_IN_TRANSACTION = "idle_in_transaction_session_timeout"
IDLE_SESSION = "idle_session_timeout"
# pg_settings units of the four timeouts: milliseconds; a value without a unit is in them.
_UNIT_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"^\s*'?\s*(-?\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*'?\s*$")
# Snapshot modes that keep one long transaction (or one long statement per table) open.
_WHOLE_SNAPSHOT_TRANSACTION = {"debezium_initial"}
_TABLE_TRANSACTION = {"dms_full_load", "native_table_sync"}


@dataclass(frozen=True)
class InForce:
    """A timeout as the connector's sessions get it, and which level set it."""

    name: str
    milliseconds: int
    level: str


@rule(
    code="CDC310",
    name="connector-session-timeouts",
    severity=Severity.HIGH,
    requires=("server", "settings"),
    profiles=("debezium", "dms", "native"),
)
def connector_session_timeouts(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A timeout in force for the connector's role ends its snapshot or its stream.

    ## What it checks
    The four timeouts a session of the connector's role starts with in the audited database:
    `statement_timeout`, `transaction_timeout` (PostgreSQL 17+),
    `idle_in_transaction_session_timeout` and `idle_session_timeout`. Each is taken from the
    most specific level that sets it: `ALTER ROLE ... IN DATABASE ... SET`, then
    `ALTER ROLE ... SET`, then `ALTER DATABASE ... SET` (`pg_db_role_setting`), then the
    server (`pg_settings`). The connector's role is `role` under `[connector]` in the
    configuration (one setting for every check about the connector); by default the auditing
    role.

    A non-zero timeout is compared with the capacity estimate of the snapshot
    (`estimates.snapshot`, its high end) for the profile's snapshot method:

    - `statement_timeout`: one statement reads a whole table (Debezium initial snapshot, DMS
      full load, native table sync): compared with the longest table's copy;
    - `transaction_timeout`: Debezium's initial snapshot is one transaction over every table,
      DMS and native table sync use one per table;
    - `idle_in_transaction_session_timeout`: any non-zero value, since a snapshot
      transaction sits idle whenever the consumer pushes back, for as long as it does;
    - `idle_session_timeout` (Debezium): the replication connection waits idle while the
      initial snapshot runs: compared with the whole snapshot.

    The finding is high when the expected figure exceeds the timeout, medium when only the
    high end does (and for `idle_in_transaction_session_timeout`). A Debezium incremental
    snapshot reads in short chunks, so only the idle-in-transaction timeout applies there.
    When a timeout is set but the snapshot estimate is unavailable, or the connector's role is
    another role and the per-role defaults could not be read, the rule is not evaluated.

    ## Why it matters for CDC
    The server cancels the statement, or ends the session, the moment a timeout fires: the
    snapshot fails after hours of reading, and Debezium or DMS start it over from the
    beginning, where it fails again at the same point. Server-wide timeouts are a common
    safeguard against runaway queries (CDC305 recommends one for idle transactions), so a
    connector inherits them unless its role is exempted. AWS DMS documents that
    `idle_in_transaction_session_timeout` ends its full load; Materialize hit the same with
    `statement_timeout`.

    ## How to fix
    Exempt the connector's role in the audited database, which takes precedence over every
    other level and leaves the timeout in force for everyone else:
    `ALTER ROLE connector IN DATABASE db SET statement_timeout = 0` (likewise for the
    others). It applies to new sessions: restart the connector afterwards. On RDS and Aurora
    this is plain SQL too; no parameter group changes.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT
    - https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-TRANSACTION-TIMEOUT
    - https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-IDLE-IN-TRANSACTION-SESSION-TIMEOUT
    - https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-IDLE-SESSION-TIMEOUT
    - https://www.postgresql.org/docs/current/sql-alterrole.html
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html
    - https://github.com/MaterializeInc/materialize/issues/16123
    """
    assert facts.server is not None
    role = ctx.connector_role or facts.server.current_user
    database = facts.server.current_database
    snapshot = estimates_for(facts, ctx).snapshot
    findings: list[Finding] = []
    unknown: list[str] = []
    for name in (STATEMENT, TRANSACTION, IDLE_IN_TRANSACTION, IDLE_SESSION):
        if facts.setting(name) is None:
            continue  # not on this version (transaction_timeout before 17)
        timeout = _in_force(facts, name, role, database)
        if timeout is None:
            unknown.append(f"{name}: the defaults of role {role} could not be read")
            continue
        if timeout.milliseconds <= 0:
            continue
        limit = _limit(name, snapshot)
        if isinstance(limit, str):
            if limit:
                unknown.append(f"{name}: {limit}")
            continue
        finding = _finding(timeout, limit, role, database)
        if finding is not None:
            findings.append(finding)
    if unknown and not findings:
        raise NotEvaluated("; ".join(unknown))
    yield from findings


def _in_force(facts: Facts, name: str, role: str, database: str) -> InForce | None:
    """The timeout a new session of ``role`` in ``database`` gets; None when unknowable."""
    assert facts.server is not None
    rows = [r for r in facts.role_settings or [] if r.name == name]
    levels = (
        (database, role, f"role {role} in database {database}"),
        (None, role, f"role {role}"),
        (database, None, f"database {database}"),
    )
    for level_database, level_role, level in levels:
        row = next((r for r in rows if (r.database, r.role) == (level_database, level_role)), None)
        if row is not None:
            return InForce(name, _milliseconds(name, row.value), level)
    setting = facts.setting(name)
    assert setting is not None
    auditor = facts.server.current_user
    # pg_settings holds the value the auditing session started with: the server's value,
    # unless a default of the auditing role itself applies (then the server's is unknown).
    if role != auditor:
        if facts.role_settings is None:
            return None
        if any(r.role == auditor and r.database in (None, database) for r in rows):
            return None
    level = "server" if facts.role_settings is not None else "server or a default of the role"
    return InForce(name, as_milliseconds(setting), level)


def _milliseconds(name: str, value: str) -> int:
    match = _DURATION.match(value)
    if match is None:
        raise NotEvaluated(f"{name} has a default {value!r} that is not a duration")
    number, unit = match.groups()
    return round(float(number) * _UNIT_MS[unit or "ms"])


def _limit(name: str, snapshot: Snapshot) -> tuple[float, float] | str:
    """(expected, high) seconds the timeout must exceed; "" when it does not apply, or why
    the figure is unknown."""
    mode = snapshot.mode
    if name == IDLE_IN_TRANSACTION:
        return (0.0, 0.0) if mode != "debezium_incremental" else ""
    if mode == "debezium_incremental" or (name == IDLE_SESSION and mode != "debezium_initial"):
        return ""
    if not snapshot.ok or snapshot.seconds is None:
        return f"the snapshot estimate is unavailable ({snapshot.reason or 'no reason'})"
    whole = (snapshot.seconds.expected, snapshot.seconds.high)
    longest = max(
        ((t.seconds.expected, t.seconds.high) for t in snapshot.per_table),
        key=lambda pair: pair[1],
        default=whole,
    )
    if name == STATEMENT:
        return longest
    if name == TRANSACTION:
        return whole if mode in _WHOLE_SNAPSHOT_TRANSACTION else longest
    return whole


def _finding(
    timeout: InForce, limit: tuple[float, float], role: str, database: str
) -> Finding | None:
    seconds = timeout.milliseconds / 1000
    expected, high = limit
    name = timeout.name
    if name == IDLE_IN_TRANSACTION:
        severity = Severity.MEDIUM
        consequence = "ends the snapshot transaction whenever the consumer pushes back for longer"
    elif seconds >= high:
        return None
    else:
        severity = Severity.HIGH if seconds < expected else Severity.MEDIUM
        what = {
            STATEMENT: "the longest table's copy",
            TRANSACTION: "the snapshot transaction",
            IDLE_SESSION: "the snapshot, while the replication connection waits idle,",
        }[name]
        consequence = (
            f"is shorter than {what} takes ({fmt_duration(expected)} expected, up to "
            f"{fmt_duration(high)})"
        )
    statement = (
        f"ALTER ROLE {quote_ident(role)} IN DATABASE {quote_ident(database)} SET {name} = 0;"
    )
    return Finding(
        subject=f"setting:{name}",
        message=(
            f"{name} = {fmt_duration(seconds)} applies to role {role} ({timeout.level}) and "
            f"{consequence}"
        ),
        evidence={
            "setting": name,
            "milliseconds": timeout.milliseconds,
            "level": timeout.level,
            "connector_role": role,
            "database": database,
            "snapshot_expected_seconds": expected if name != IDLE_IN_TRANSACTION else None,
            "snapshot_high_seconds": high if name != IDLE_IN_TRANSACTION else None,
        },
        fix=Fix.of(
            sql(statement, ChangeWindow.ONLINE, setting=name, role=role, database=database),
            note(
                "it applies to new sessions: restart the connector (or its task) afterwards",
                ChangeWindow.COORDINATION,
            ),
        ),
        severity=severity,
    )
