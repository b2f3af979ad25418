"""CDC303: a long-running transaction delays slot creation and holds back VACUUM."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note, sql
from rules._sessions import IDLE_IN_TRANSACTION, client_sessions, evidence, who
from rules._units import fmt_duration


class Options(RuleOptions):
    min_seconds: int = option(
        600, unit=Unit.SECONDS, ge=0, description="age of a transaction that is reported"
    )


@rule(
    code="CDC303",
    name="long-running-transaction",
    severity=Severity.HIGH,
    requires=("sessions",),
    options=Options,
)
def long_running_transaction(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A long-running transaction will delay the connector's start and holds back VACUUM.

    ## What it checks
    Client sessions whose current transaction has been open for at least 10 minutes (option
    `min_seconds` under `[rules.CDC303]`; the threshold of AWS DMS' premigration assessment),
    one finding per session. Sessions idle in a transaction are CDC305's; walsenders and
    background workers are not judged.

    ## Why it matters for CDC
    Creating a logical slot waits until every transaction that had written something when
    the creation started has ended (it needs a consistent starting point): Debezium, DMS or
    `CREATE SUBSCRIPTION` hang at "creating replication slot" for as long as the transaction
    lasts. Read-only transactions do not block it, and the facts cannot tell the two apart
    (`backend_xid` is not collected). Either kind holds back the xmin horizon, so VACUUM
    cannot remove dead rows behind it.

    ## How to fix
    Let the transaction finish before the connector starts, or end it after agreeing with its
    owner (`pg_terminate_backend`). For the long term, set `idle_in_transaction_session_timeout`
    and keep batch jobs in smaller transactions.

    ## References
    - https://www.postgresql.org/docs/current/logicaldecoding-explanation.html#LOGICALDECODING-REPLICATION-SLOTS
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    """
    minimum = ctx.options_for(Options).min_seconds
    for session in client_sessions(facts.sessions or []):
        age = session.xact_age_seconds
        if session.state in IDLE_IN_TRANSACTION or age is None or age < minimum:
            continue
        yield Finding(
            subject=f"session:{session.pid}",
            message=(
                f"{who(session)} has had a transaction open for {fmt_duration(age)} "
                f"({session.state or 'state unknown'}): a new slot waits for it if it wrote, "
                "and VACUUM cannot clean up behind it"
            ),
            evidence=evidence(session),
            fix=Fix.of(
                note(f"agree with the owner of pid {session.pid}, then:", pid=session.pid),
                sql(
                    f"SELECT pg_terminate_backend({session.pid});",
                    ChangeWindow.COORDINATION,
                    pid=session.pid,
                    user=session.user,
                    application_name=session.application_name,
                ),
            ),
        )
