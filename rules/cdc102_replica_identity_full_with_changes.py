"""CDC102: REPLICA IDENTITY FULL on a table that sees updates or deletes."""

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
from audit.facts import Facts, ReplicaIdentity, Table
from audit.remedy import ChangeWindow, Fix, Step, sql
from rules._partitions import leaves_by_subject
from rules._stats import COUNTERS_OFF, counters_off
from rules._units import MIB, fmt_bytes, fmt_count


class Options(RuleOptions):
    min_toast_bytes: int = option(
        64 * MIB,
        unit=Unit.BYTES,
        ge=0,
        description="TOAST size from which FULL identity with updates is reported",
    )


@rule(
    code="CDC102",
    name="replica-identity-full-with-changes",
    severity=Severity.MEDIUM,
    requires=("tables",),
    options=Options,
)
def replica_identity_full_with_changes(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """REPLICA IDENTITY FULL on a table with updates or deletes logs whole old rows.

    ## What it checks
    Tables (leaf partitions, reported under their parent) with `REPLICA IDENTITY FULL` and at
    least one UPDATE or DELETE since the statistics were reset. An insert-only table is not
    reported: FULL costs nothing until a row is updated or deleted.

    The finding is high instead of medium when the table holds at least 64 MiB of TOAST data
    (option `min_toast_bytes` under `[rules.CDC102]`): FULL flattens every TOASTed value of the
    old row into the WAL record.

    ## Why it matters for CDC
    With FULL, every UPDATE and DELETE writes the entire old row to WAL, TOASTed values
    detoasted and inlined (heapam.c, `ExtractReplicaIdentity`). Lab measurements on PostgreSQL 15
    (research/wal_overhead.md): +35% to +633% WAL for updates, +31% to +90% for deletes, and
    +3,546% for rows with TOASTed columns. That WAL is written, archived, shipped to standbys and
    decoded, whether or not the table is captured. Native subscribers before PostgreSQL 16 must
    also find the old row without an index: a sequential scan per replicated UPDATE or DELETE.

    FULL is a deliberate choice when consumers need complete "before" images (Debezium's
    `before` field); then this finding states the price, and can be waived with that reason.

    ## How to fix
    Use the primary key (`REPLICA IDENTITY DEFAULT`), or a unique index over NOT NULL columns
    (`REPLICA IDENTITY USING INDEX`); the fix names the candidate when the table has one, and
    asks for a primary key otherwise.

    ## References
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-REPLICA-IDENTITY
    - https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-WAL-LEVEL
    - https://www.postgresql.org/docs/current/logical-replication-publication.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-replica-identity
    """
    min_toast = ctx.options_for(Options).min_toast_bytes
    tables = facts.tables or []
    full = [t for t in tables if t.replica_identity is ReplicaIdentity.FULL]
    if full and counters_off(facts):
        raise NotEvaluated(COUNTERS_OFF)
    unknown = [t.qualified_name for t in full if t.n_tup_upd is None or t.n_tup_del is None]
    findings: list[Finding] = []
    for subject, group in leaves_by_subject(full).items():
        changed = [t for t in group if (t.n_tup_upd or 0) + (t.n_tup_del or 0) > 0]
        if not changed:
            continue
        updates = sum(t.n_tup_upd or 0 for t in changed)
        deletes = sum(t.n_tup_del or 0 for t in changed)
        toast = sum(t.toast_bytes or 0 for t in changed)
        toasted = toast >= min_toast
        message = (
            f"{subject} has REPLICA IDENTITY FULL and {fmt_count(updates)} updates and "
            f"{fmt_count(deletes)} deletes since statistics reset: each logs the whole old row"
        )
        if toasted:
            message += f", TOASTed values included ({fmt_bytes(toast)} of TOAST)"
        evidence: dict[str, object] = {
            "replica_identity": "full",
            "n_tup_upd": updates,
            "n_tup_del": deletes,
            "toast_bytes": toast,
            "avg_row_bytes": _average_row(changed),
        }
        if subject != changed[0].qualified_name or len(changed) > 1:
            evidence["partitions"] = [t.qualified_name for t in changed]
        else:
            evidence["primary_key"] = changed[0].primary_key
            evidence["unique_candidates"] = changed[0].unique_candidates
        findings.append(
            Finding(
                subject=subject,
                message=message,
                evidence=evidence,
                fix=Fix(steps=tuple(step for t in changed for step in _fix(t))),
                severity=Severity.HIGH if toasted else None,
            )
        )
    if unknown and not findings:
        raise NotEvaluated(
            f"update and delete counts are unknown for {len(unknown)} REPLICA IDENTITY FULL "
            f"table(s): {', '.join(unknown[:5])}"
        )
    yield from findings


def _average_row(tables: list[Table]) -> float | None:
    widths = [t.avg_row_bytes for t in tables if t.avg_row_bytes is not None]
    return round(sum(widths) / len(widths), 1) if widths else None


def _fix(table: Table) -> list[Step]:
    name = table.qualified_name
    keep = "  -- unless consumers need whole before images"
    window = ChangeWindow.COORDINATION
    if table.has_primary_key:
        return [sql(f"ALTER TABLE {name} REPLICA IDENTITY DEFAULT;{keep}", window, table=name)]
    if table.unique_candidates:
        index = table.unique_candidates[0]
        return [
            sql(
                f"ALTER TABLE {name} REPLICA IDENTITY USING INDEX {index};{keep}",
                window,
                table=name,
                index=index,
            )
        ]
    return [
        sql(f"ALTER TABLE {name} ADD PRIMARY KEY (<key columns>);", window, table=name),
        sql(f"ALTER TABLE {name} REPLICA IDENTITY DEFAULT;{keep}", window, table=name),
    ]
