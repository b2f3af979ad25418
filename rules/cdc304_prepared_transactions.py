"""CDC304: prepared transactions that nobody resolves block slot creation and VACUUM."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import (
    Finding,
    NotEvaluated,
    RuleContext,
    RuleOptions,
    Severity,
    Unit,
    option,
    rule,
)
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note, sql
from rules._sql import sql_literal
from rules._units import fmt_count, fmt_duration


class Options(RuleOptions):
    min_seconds: int = option(
        300, unit=Unit.SECONDS, ge=0, description="age of a prepared transaction that is reported"
    )


@rule(
    code="CDC304",
    name="prepared-transactions",
    severity=Severity.HIGH,
    requires=("prepared_xacts",),
    options=Options,
)
def prepared_transactions(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Prepared transactions left unresolved block slot creation and hold back VACUUM.

    ## What it checks
    Two-phase transactions (`PREPARE TRANSACTION`) prepared at least 5 minutes before the
    audit (option `min_seconds` under `[rules.CDC304]`; a transaction manager resolves its
    own within seconds), one finding per transaction. AWS DMS' premigration assessment checks
    the same.

    ## Why it matters for CDC
    A prepared transaction keeps its transaction ID and locks until someone commits or rolls
    it back, even across restarts. Creating a logical slot waits for it to end, so the
    connector hangs at its first start; VACUUM cannot clean up behind it, and its transaction
    ID ages towards wraparound. An orphan (its coordinator gone) never ends by itself.

    ## How to fix
    Find the transaction manager that prepared it and let it finish. If it is gone, commit or
    roll back by hand, in the transaction's database (`COMMIT PREPARED` / `ROLLBACK PREPARED`
    with its gid); which one is right depends on what the other participants did.

    ## References
    - https://www.postgresql.org/docs/current/sql-prepare-transaction.html
    - https://www.postgresql.org/docs/current/view-pg-prepared-xacts.html
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    """
    minimum = ctx.options_for(Options).min_seconds
    findings = []
    unknown = []
    for xact in facts.prepared_xacts or []:
        if xact.prepared_at is None:
            unknown.append(xact.gid)
            continue
        age = (facts.collected_at - xact.prepared_at).total_seconds()
        if age < minimum:
            continue
        gid = sql_literal(xact.gid)
        xid = f", transaction ID age {fmt_count(xact.xid_age)}" if xact.xid_age else ""
        findings.append(
            Finding(
                subject=f"prepared:{xact.gid}",
                message=(
                    f"prepared transaction {xact.gid} in database {xact.database or '?'} has "
                    f"been waiting for {fmt_duration(age)}{xid}: a new slot waits for it"
                ),
                evidence={
                    "gid": xact.gid,
                    "database": xact.database,
                    "owner": xact.owner,
                    "prepared_at": xact.prepared_at.isoformat(),
                    "age_seconds": round(age),
                    "xid_age": xact.xid_age,
                },
                fix=Fix.of(
                    note(
                        f"in database {xact.database or '<its database>'}, once its "
                        "transaction manager is known to be gone:",
                        database=xact.database,
                    ),
                    sql(
                        f"COMMIT PREPARED {gid};  -- or: ROLLBACK PREPARED {gid};",
                        ChangeWindow.COORDINATION,
                        gid=xact.gid,
                    ),
                ),
            )
        )
    if unknown and not findings:
        raise NotEvaluated(f"when {', '.join(unknown)} was prepared is unknown")
    yield from findings
