"""CDC101: table without a primary key or any usable replica identity."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts, Table
from audit.remedy import ChangeWindow, Fix, note, sql
from rules._identity import identity_fix, identity_problem
from rules._partitions import leaves_of, partition_count
from rules._stats import counters_off
from rules._units import fmt_count


@rule(
    code="CDC101",
    name="table-without-replica-identity",
    severity=Severity.CRITICAL,
    requires=("tables",),
)
def table_without_replica_identity(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Table has no primary key and no usable replica identity.

    ## What it checks
    Logical decoding identifies the old row of an UPDATE or DELETE by the table's replica
    identity. A table has none that works when it is:

    - `REPLICA IDENTITY DEFAULT` without a primary key;
    - `REPLICA IDENTITY NOTHING` (even with a primary key);
    - `REPLICA IDENTITY USING INDEX` whose index was dropped or is invalid: PostgreSQL then
      behaves as NOTHING (verified on 15 and 18), even when the table has a primary key.

    `REPLICA IDENTITY FULL` counts as usable here; its cost is CDC102's business.

    Partitioned tables have no storage: changes are decoded from the leaf partitions, and each
    leaf's own replica identity counts (`ALTER TABLE parent REPLICA IDENTITY` reaches neither
    existing nor future partitions). The rule judges every leaf and reports the failing ones
    once, under their parent.

    A table with no UPDATE and no DELETE since the statistics were reset is reported as medium
    instead of critical: it replicates today, and breaks at its first UPDATE or DELETE. Unknown
    statistics (or `track_counts = off`, CDC015) keep the finding critical.

    ## Why it matters for CDC
    Once such a table is in a publication that publishes updates or deletes (Debezium's
    default `publication.autocreate.mode = all_tables` publishes every table), PostgreSQL
    rejects UPDATE and DELETE on it with "cannot update table ... because it does not have a
    replica identity and publishes updates": turning CDC on breaks the application's writes.
    Without a publication filter (decoding plugins other than pgoutput), the changes are
    decoded without any old key, so consumers cannot tell which row changed.

    ## How to fix
    Add a primary key. If the table already has a unique index over NOT NULL columns, point the
    replica identity at it (`ALTER TABLE ... REPLICA IDENTITY USING INDEX ...`); the fix names
    the candidate index when one exists. For NOTHING or a lost index on a table with a primary
    key, return to `REPLICA IDENTITY DEFAULT`. `REPLICA IDENTITY FULL` is the last resort: it
    logs the whole old row for every UPDATE and DELETE (see CDC102). Partitions need the
    statement on each leaf; a primary key added to the parent reaches every partition.

    ## References
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-REPLICA-IDENTITY
    - https://www.postgresql.org/docs/current/logical-replication-publication.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-replica-identity
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html
    """
    tables = facts.tables or []
    stats_reset = facts.server.stats_reset if facts.server else None
    since = "since statistics reset" + (f" ({stats_reset:%Y-%m-%d})" if stats_reset else "")
    blind = counters_off(facts)
    for subject, group in leaves_of(facts).items():
        failing = [(t, problem) for t in group if (problem := identity_problem(t)) is not None]
        if not failing:
            continue
        insert_only = not blind and all(t.n_tup_upd == 0 and t.n_tup_del == 0 for t, _ in failing)
        updates = sum(t.n_tup_upd or 0 for t, _ in failing)
        deletes = sum(t.n_tup_del or 0 for t, _ in failing)
        if blind:
            activity = "UPDATE and DELETE counts unknown (track_counts is off)"
        elif insert_only:
            activity = f"no UPDATE or DELETE {since}"
        elif all(t.n_tup_upd is not None and t.n_tup_del is not None for t, _ in failing):
            activity = f"{fmt_count(updates)} updates and {fmt_count(deletes)} deletes {since}"
        else:
            activity = "UPDATE and DELETE counts unknown"
        severity = Severity.MEDIUM if insert_only else None
        if len(group) == 1 and group[0].qualified_name == subject:
            table, problem = failing[0]
            yield Finding(
                subject=subject,
                message=f"{subject} {problem}: UPDATE and DELETE cannot be replicated; {activity}",
                evidence=_evidence(table),
                fix=Fix(steps=tuple(identity_fix(table))),
                severity=severity,
            )
            continue
        names = ", ".join(t.qualified_name for t, _ in failing[:5])
        more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
        yield Finding(
            subject=subject,
            message=(
                f"{subject} has {len(failing)} of {partition_count(tables, subject)} partitions "
                f"without a usable replica identity ({names}{more}); {activity}"
            ),
            evidence={"partitions": {t.qualified_name: _evidence(t) for t, _ in failing}},
            fix=_partition_fix(subject, [t for t, _ in failing]),
            severity=severity,
        )


def _partition_fix(parent: str, failing: list[Table]) -> Fix:
    window = ChangeWindow.COORDINATION
    if all(not t.has_primary_key and not t.unique_candidates for t in failing):
        return Fix.of(
            sql(
                f"ALTER TABLE {parent} ADD PRIMARY KEY "
                "(<key columns, including the partition key>);"
                "  -- preferred: reaches every partition",
                window,
                table=parent,
            ),
            note("last resort, per partition (logs whole old rows):", window),
            *(
                sql(
                    f"ALTER TABLE {t.qualified_name} REPLICA IDENTITY FULL;",
                    window,
                    table=t.qualified_name,
                )
                for t in failing
            ),
        )
    return Fix(steps=tuple(step for t in failing for step in identity_fix(t)))


def _evidence(table: Table) -> dict[str, object]:
    return {
        "replica_identity": table.replica_identity.value,
        "primary_key": table.primary_key,
        "identity_index": table.identity_index,
        "identity_index_valid": table.identity_index_valid,
        "unique_candidates": table.unique_candidates,
        "n_tup_ins": table.n_tup_ins,
        "n_tup_upd": table.n_tup_upd,
        "n_tup_del": table.n_tup_del,
    }
