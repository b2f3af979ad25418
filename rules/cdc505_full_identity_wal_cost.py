"""CDC505: REPLICA IDENTITY FULL on tables with a key costs a measurable share of WAL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, sql
from audit.units import fmt_rate
from rules._estimates import estimates_for, require_estimate, require_value


class Options(RuleOptions):
    full_identity_min_share: float = option(
        0.05,
        unit=Unit.RATIO,
        ge=0,
        le=1,
        description="WAL saved by a narrower identity, as a share of today's, that fails",
    )


@rule(
    code="CDC505",
    name="full-identity-wal-cost",
    severity=Severity.MEDIUM,
    requires=("sampling",),
    options=Options,
)
def full_identity_wal_cost(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """REPLICA IDENTITY FULL on tables that have a key costs a measurable share of WAL.

    ## What it checks
    The capacity number only: from the WAL estimate, the extra WAL per second that
    `REPLICA IDENTITY FULL` causes on tables that have a primary key or a unique NOT NULL
    index, against the same tables with that key as their identity. It fails when the
    saving is above the option `full_identity_min_share` (default 0.05) of the measured
    WAL rate, with one finding for all such tables and the per-table figures as evidence.
    Whether FULL is appropriate for a table at all is CDC102's subject, not this rule's.

    ## Why it matters for CDC
    With FULL, every UPDATE and DELETE logs the whole old row, with its TOASTed values pulled
    inline. The lab measured +35% to +633% WAL on update-heavy tables and +3,546% on rows with
    TOASTed columns, where a key identity logs a few bytes per delete and nothing extra per
    update.

    ## How to fix
    `ALTER TABLE t REPLICA IDENTITY DEFAULT;` (the primary key) or
    `ALTER TABLE t REPLICA IDENTITY USING INDEX t_unique_key;`, after checking that the
    consumer does not need old values of non-key columns (Debezium `before` images, DMS
    LOB lookups).

    ## References
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-REPLICA-IDENTITY
    - https://www.postgresql.org/docs/current/logical-replication-publication.html
    - docs/accuracy.md in this repository (measured FULL overheads)
    """
    wal = estimates_for(facts, ctx).wal
    require_estimate(wal.logical_overhead_ratio, "wal.logical_overhead_ratio")
    measured = require_value(
        wal.current_bytes_per_s.window_mean,
        "wal.current_bytes_per_s.window_mean",
        "the current WAL rate is unavailable",
    )
    limit = ctx.options_for(Options).full_identity_min_share
    tables: list[dict[str, Any]] = []
    for row in wal.per_table:
        if row.replica_identity != "full" or row.recommended_identity in (None, "full"):
            continue
        now, then = row.extra_bytes_per_s, row.extra_bytes_per_s_recommended
        if now is None or then is None:
            continue
        saving = now.expected - then.expected
        if saving > 0:
            tables.append(
                {
                    "table": row.table,
                    "to": row.recommended_identity,
                    "saving_bytes_per_s": saving,
                }
            )
    saving_total = sum(t["saving_bytes_per_s"] for t in tables)
    if measured <= 0 or saving_total / measured <= limit:
        return
    tables.sort(key=lambda t: t["saving_bytes_per_s"], reverse=True)
    yield Finding(
        subject="replica-identity-full",
        message=(
            f"REPLICA IDENTITY FULL on {len(tables)} table(s) with a key adds "
            f"{fmt_rate(saving_total)} of WAL, {saving_total / measured:.0%} of the "
            f"measured rate; their keys would not"
        ),
        evidence={
            "tables": tables,
            "saving_bytes_per_s": saving_total,
            "measured_bytes_per_s": measured,
            "full_identity_min_share": limit,
        },
        fix=Fix(
            steps=tuple(
                sql(
                    f"ALTER TABLE {t['table']} REPLICA IDENTITY DEFAULT;"
                    if t["to"] == "default"
                    else f"ALTER TABLE {t['table']} REPLICA IDENTITY USING INDEX <unique_index>;",
                    ChangeWindow.COORDINATION,
                    table=t["table"],
                )
                for t in tables
            )
        ),
    )
