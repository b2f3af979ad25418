"""CDC111: sequences are not replicated, so a target that takes over needs them set."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note, sql

# PostgreSQL 19 (development): publications FOR ALL SEQUENCES and sequence synchronization
SEQUENCE_SYNC_SINCE = 19

SETVAL_GENERATOR = Fix.of(
    note(
        "at cutover, on the source; run the statements it prints on the target:",
        ChangeWindow.COORDINATION,
    ),
    sql(
        "SELECT format('SELECT setval(%L, %s, true);', "
        "quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value)\n"
        "FROM pg_sequences WHERE last_value IS NOT NULL;",
        ChangeWindow.COORDINATION,
    ),
)


@rule(
    code="CDC111",
    name="sequences-not-replicated",
    severity=Severity.LOW,
    requires=("sequences", "tables"),
    profiles=("native", "dms"),
)
def sequences_not_replicated(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Sequences are not replicated: a target that takes over starts them from scratch.

    ## What it checks
    Sequences owned by a table in scope (serial and identity columns) or owned by no table.
    Only for native subscriptions and AWS DMS, whose targets typically become writable after a
    cutover; a Debezium stream carries the generated values in its rows.

    ## Why it matters for CDC
    Logical decoding does not decode sequence changes, and subscribers and DMS copy rows,
    not `nextval` state. After a switchover the target's sequences still stand where they
    were created, and the first inserts collide with replicated keys ("duplicate key value
    violates unique constraint").

    PostgreSQL 19 (in development) adds sequence synchronization for subscriptions: a
    publication `FOR ALL SEQUENCES` lets the subscriber copy the publisher's sequence values
    when the subscription synchronizes and again when it is refreshed. The values are copied,
    not streamed, so the cutover step remains: on a 19 publisher with the native profile the
    finding and its fix say to refresh the sequences at cutover instead of generating `setval`
    statements. This follows the 19 development documentation and is tested on fact fixtures.

    ## How to fix
    Make setting the sequences a step of the cutover runbook: read `last_value` from
    `pg_sequences` on the source once writes have stopped, and `setval` them on the target
    (the fix prints a query that generates the statements). Native subscriptions on
    PostgreSQL 19: publish the sequences (`CREATE PUBLICATION ... FOR ALL SEQUENCES`) and
    run `ALTER SUBSCRIPTION ... REFRESH SEQUENCES` on the subscriber once writes have stopped.

    ## References
    - https://www.postgresql.org/docs/current/logical-replication-restrictions.html
    - https://www.postgresql.org/docs/current/view-pg-sequences.html
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html
    - https://www.postgresql.org/docs/devel/logical-replication-sequences.html
    - https://www.postgresql.org/docs/devel/sql-createpublication.html
    """
    in_scope = {t.qualified_name for t in facts.tables or []}
    relevant = [
        s
        for s in facts.sequences or []
        if s.owned_by is None or s.owned_by.rsplit(".", 1)[0] in in_scope
    ]
    if not relevant:
        return
    names = [s.qualified_name for s in relevant]
    major = facts.platform.major
    if ctx.profile.name == "native" and major is not None and major >= SEQUENCE_SYNC_SINCE:
        yield Finding(
            subject="scope:sequences",
            message=(
                f"{len(names)} sequence(s) ({', '.join(names[:5])}"
                f"{' and more' if len(names) > 5 else ''}) are copied only when published "
                f"FOR ALL SEQUENCES and refreshed: PostgreSQL {major} synchronizes sequence "
                "values on request, it does not stream them"
            ),
            evidence={"sequences": names, "identity": sum(1 for s in relevant if s.identity)},
            fix=Fix.of(
                sql("CREATE PUBLICATION <name>_sequences FOR ALL SEQUENCES;"),
                note(
                    "add it to the subscription; at cutover, once writes have stopped, on the "
                    "subscriber:",
                    ChangeWindow.COORDINATION,
                ),
                sql(
                    "ALTER SUBSCRIPTION <subscription> REFRESH SEQUENCES;",
                    ChangeWindow.COORDINATION,
                ),
            ),
        )
        return
    yield Finding(
        subject="scope:sequences",
        message=(
            f"{len(names)} sequence(s) ({', '.join(names[:5])}"
            f"{' and more' if len(names) > 5 else ''}) are not replicated: set them on the "
            "target at cutover"
        ),
        evidence={
            "sequences": names,
            "identity": sum(1 for s in relevant if s.identity),
        },
        fix=SETVAL_GENERATOR,
    )
