"""CDC305: sessions sit idle inside an open transaction."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note, sql
from audit.remedy.settings import set_setting
from rules._sessions import IDLE_IN_TRANSACTION, client_sessions, evidence, who
from rules._units import fmt_duration


class Options(RuleOptions):
    min_seconds: int = option(
        300, unit=Unit.SECONDS, ge=0, description="time idle in a transaction that is reported"
    )


@rule(
    code="CDC305",
    name="idle-in-transaction",
    severity=Severity.MEDIUM,
    requires=("sessions",),
    options=Options,
)
def idle_in_transaction(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Sessions sit idle inside an open transaction.

    ## What it checks
    Client sessions in state `idle in transaction` (or `(aborted)`) for at least 5 minutes
    (option `min_seconds` under `[rules.CDC305]`), reported together. When
    `idle_in_transaction_session_timeout` is 0 the fix proposes one.

    ## Why it matters for CDC
    An application that opened a transaction and stopped talking keeps its locks, its
    snapshot and, if it wrote, its transaction ID: creating the connector's slot waits for it
    to end, VACUUM cannot clean up behind it, and DDL on its tables queues behind its locks.
    Such sessions are usually connection-pool or error-handling bugs and come back.

    ## How to fix
    Fix the application (commit or roll back before returning the connection to the pool), and
    set `idle_in_transaction_session_timeout` so that the server ends such sessions. Make sure
    the connector's own role is not subject to a short timeout during a long snapshot
    (`ALTER ROLE ... SET idle_in_transaction_session_timeout = 0`).

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-IDLE-IN-TRANSACTION-SESSION-TIMEOUT
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW
    """
    minimum = ctx.options_for(Options).min_seconds
    idle = [
        s
        for s in client_sessions(facts.sessions or [])
        if s.state in IDLE_IN_TRANSACTION and (s.state_age_seconds or 0) >= minimum
    ]
    if not idle:
        return
    longest = max(s.state_age_seconds or 0 for s in idle)
    timeout = facts.setting("idle_in_transaction_session_timeout")
    steps = [note("after agreeing with their owners:")]
    steps += [
        sql(
            f"SELECT pg_terminate_backend({s.pid});  -- {who(s)}",
            ChangeWindow.COORDINATION,
            pid=s.pid,
        )
        for s in idle
    ]
    if timeout is not None and timeout.value.strip() == "0":
        steps += set_setting(
            facts,
            "idle_in_transaction_session_timeout",
            "15min",
            restart=False,
            group_value="900000",
        ).steps
    yield Finding(
        subject="sessions:idle-in-transaction",
        message=(
            f"{len(idle)} session(s) sit idle in a transaction, the longest for "
            f"{fmt_duration(longest)}: {', '.join(who(s) for s in idle[:3])}"
        ),
        evidence={
            "sessions": [evidence(s) for s in idle],
            "idle_in_transaction_session_timeout": timeout.value if timeout else None,
        },
        fix=Fix(steps=tuple(steps)),
    )
