"""CDC501: logical decoding would add more WAL than the budget allows."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note, sql
from audit.units import fmt_rate
from rules._estimates import estimates_for, require_estimate, require_value


class Options(RuleOptions):
    max_wal_overhead: float = option(
        0.20,
        unit=Unit.RATIO,
        ge=0,
        le=10,
        description="extra WAL under wal_level=logical, as a share of today's, that fails",
    )


@rule(
    code="CDC501",
    name="wal-budget-exceeded",
    severity=Severity.MEDIUM,
    requires=("sampling",),
    options=Options,
)
def wal_budget_exceeded(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """wal_level=logical would add more WAL than the budget allows.

    ## What it checks
    The capacity estimate `wal.logical_overhead_ratio`: the extra WAL that `wal_level=logical`
    and the current replica identities add, as a share of the WAL measured during the sampling
    window. It fails when the expected ratio is above the option `max_wal_overhead` (default
    0.20, +20%). The ratio comes from a model of how PostgreSQL writes WAL (pg_walinspect
    records when readable, statistics views otherwise), not from a flat percentage; the
    evidence names the predictor, the range and the tables that add the most.

    A server that already runs `wal_level=logical` passes: the WAL it measures is logical WAL
    already, and the model would count the overhead a second time (observed on PostgreSQL 15
    and 18: +72% predicted for HOT updates of wide rows that were already logged whole).

    ## Why it matters for CDC
    At `wal_level=logical` every HOT update logs its whole new row instead of the changed
    bytes, every delete logs its key, `REPLICA IDENTITY FULL` logs the whole old row (TOASTed
    values included) on every update and delete, and catalog changes log extra records. For
    update-heavy tables of wide rows the WAL volume can grow by several times: more disk I/O,
    more WAL archiving and backup volume, more network to standbys, and more for every
    walsender to decode.

    ## How to fix
    Look at the tables in the evidence. Switch tables with `REPLICA IDENTITY FULL` to their
    primary key or a unique index (`ALTER TABLE t REPLICA IDENTITY USING INDEX t_key;`); move
    a small, often-updated column of a wide table into its own narrow table; enable
    `wal_compression` (it shrinks full-page images, not the extra row bytes). If the volume is
    acceptable, raise `max_wal_overhead` for this rule.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-WAL-LEVEL
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-REPLICA-IDENTITY
    - https://github.com/postgres/postgres/blob/master/src/backend/access/heap/heapam.c
    - docs/capacity.md and docs/accuracy.md in this repository
    """
    wal_level = facts.setting("wal_level")
    if wal_level is not None and wal_level.value == "logical":
        return  # the overhead is paid already, and measured in the WAL rate
    wal = estimates_for(facts, ctx).wal
    why = "the current WAL rate is unavailable"
    ratio = require_value(
        require_estimate(wal.logical_overhead_ratio, "wal.logical_overhead_ratio").band,
        "wal.logical_overhead_ratio",
        why,
    )
    logical = require_value(
        require_estimate(wal.logical_bytes_per_s, "wal.logical_bytes_per_s").band,
        "wal.logical_bytes_per_s",
        why,
    )
    measured = require_value(
        wal.current_bytes_per_s.window_mean, "wal.current_bytes_per_s.window_mean", why
    )
    limit = ctx.options_for(Options).max_wal_overhead
    expected = ratio.expected
    if expected <= limit:
        return
    top = [
        {
            "table": row.table,
            "extra_bytes_per_s": row.extra_bytes_per_s.as_dict() if row.extra_bytes_per_s else None,
        }
        for row in wal.per_table[:5]
    ]
    yield Finding(
        subject="wal",
        message=(
            f"wal_level=logical adds {expected:+.0%} WAL (range {ratio.low:+.0%} to "
            f"{ratio.high:+.0%}), above the budget of {limit:+.0%}: "
            f"{fmt_rate(logical.expected)} instead of {fmt_rate(measured)}"
        ),
        evidence={
            "logical_overhead_ratio": ratio.as_dict(),
            "logical_bytes_per_s": logical.as_dict(),
            "predictor": wal.predictor,
            "max_wal_overhead": limit,
            "top_tables": top,
        },
        fix=Fix.of(
            note("tables with REPLICA IDENTITY FULL and a key: use the key instead"),
            sql(
                "ALTER TABLE <table> REPLICA IDENTITY DEFAULT;  -- or USING INDEX <unique_index>",
                ChangeWindow.COORDINATION,
            ),
            note("or accept the volume: set the rule option max_wal_overhead"),
        ),
    )
