"""CDC105: a large table was never analyzed, so its row count and width are guesses."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts, TableKind
from audit.remedy import Fix, sql
from rules._units import MIB, fmt_bytes


class Options(RuleOptions):
    min_bytes: int = option(
        100 * MIB, unit=Unit.BYTES, ge=0, description="table size from which a table is judged"
    )


@rule(
    code="CDC105",
    name="table-never-analyzed",
    severity=Severity.LOW,
    requires=("tables",),
    options=Options,
)
def table_never_analyzed(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A large table was never analyzed: snapshot and WAL estimates for it are guesses.

    ## What it checks
    Tables of at least 100 MiB (option `min_bytes` under `[rules.CDC105]`) with neither a
    manual nor an automatic ANALYZE on record and no planner row estimate (`reltuples` is -1
    from PostgreSQL 14 on until the first VACUUM or ANALYZE). Partitioned parents are skipped
    (they have no storage); smaller tables do not move the estimates.

    ## Why it matters for CDC
    The snapshot duration, the WAL retained during the snapshot and the REPLICA IDENTITY FULL
    cost are computed from row counts and average row widths (`pg_stats`). Without them the
    report falls back on page counts and wide ranges, and the plan that a change board
    approves rests on guesses. A table that autovacuum never analyzed may also point to
    `track_counts = off` or a table that only grew by bulk loads.

    ## How to fix
    Run `ANALYZE` on the table (it reads a sample, not the whole table) and audit again.

    ## References
    - https://www.postgresql.org/docs/current/sql-analyze.html
    - https://www.postgresql.org/docs/current/routine-vacuuming.html#VACUUM-FOR-STATISTICS
    - https://www.postgresql.org/docs/current/catalog-pg-class.html
    """
    min_bytes = ctx.options_for(Options).min_bytes
    for table in facts.tables or []:
        if table.kind is TableKind.PARTITIONED:
            continue
        size = table.heap_bytes
        if size is None or size < min_bytes:
            continue
        if table.last_analyze is not None or table.reltuples is not None:
            continue
        yield Finding(
            subject=table.qualified_name,
            message=(
                f"{table.qualified_name} ({fmt_bytes(size)}) was never analyzed: its row count "
                "and row width are unknown to the estimates"
            ),
            evidence={
                "heap_bytes": size,
                "reltuples": table.reltuples,
                "last_analyze": None,
                "n_live_tup": table.n_live_tup,
            },
            fix=Fix.of(sql(f"ANALYZE {table.qualified_name};", table=table.qualified_name)),
        )
