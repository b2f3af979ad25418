"""CDC118: LOB values larger than DMS's LobMaxSize, which limited LOB mode truncates."""

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
from audit.facts import Facts, Table
from audit.remedy import Fix, note, sql
from rules._dms import base_name, dms_columns, may_be_out_of_line
from rules._partitions import leaves_of
from rules._sql import quote_ident
from rules._units import KIB, fmt_bytes

# AWS DMS task setting TargetMetadata.LobMaxSize: 32 KB unless the task sets it
DMS_DEFAULT_LOB_MAX_KB = 32


class Options(RuleOptions):
    lob_max_size_kb: int = option(
        DMS_DEFAULT_LOB_MAX_KB,
        unit=Unit.COUNT,
        ge=1,
        le=102_400,
        description="the task's LobMaxSize in KB (limited LOB mode; DMS's default is 32)",
    )


def out_of_line_per_value(table: Table) -> tuple[float, list[str]] | None:
    """TOAST bytes per row and per column that can hold them, when every such column is a LOB.

    None when the table has no rows or TOAST figures, or when a non-LOB column could hold some
    of the TOAST bytes (then the average says nothing about the LOBs)."""
    rows = table.reltuples if table.reltuples and table.reltuples > 0 else table.n_live_tup
    if not rows or not table.toast_bytes:
        return None
    columns = dms_columns(table)
    holders = [n for n, t in columns.toastable.items() if may_be_out_of_line(t)]
    if not holders or not set(holders) <= set(columns.lob):
        return None
    return table.toast_bytes / rows / len(holders), sorted(holders)


def _measure(table: Table, lobs: list[str]) -> str:
    types = dms_columns(table).lob
    parts = []
    for name in lobs:
        value = quote_ident(name)
        if base_name(types[name]) != "bytea":
            value += "::text"
        parts.append(f"max(octet_length({value})) AS {quote_ident(name)}")
    return f"SELECT {', '.join(parts)} FROM {table.qualified_name};"


@rule(
    code="CDC118",
    name="dms-lob-truncation",
    severity=Severity.MEDIUM,
    requires=("tables",),
    profiles=("dms",),
    options=Options,
)
def dms_lob_truncation(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """LOB values larger than the DMS task's LobMaxSize: limited LOB mode truncates them.

    ## What it checks
    For each table with LOB columns (DMS's LOB types, see CDC117), the bytes its TOAST table
    holds (`pg_class.relpages` of the TOAST relation and its index) per row (`reltuples`) and
    per column that can be stored out of line. When every such column is a LOB and that
    average is above option `lob_max_size_kb` (the task's `LobMaxSize`, 32 KB by default), at
    least one LOB value is larger than the limit, by the pigeonhole principle. Nothing is read
    from the table.

    Statistics alone cannot give the largest value: `pg_stats.avg_width` counts a value stored
    out of line as its 18-byte TOAST pointer, so a column of 1 MB documents shows an average
    width of 18. The finding is therefore a lower bound; a table whose average stays under the
    limit may still hold a few large values (the fix prints the query that measures them).
    Dead TOAST chunks not yet vacuumed also count towards the average.

    ## Why it matters for CDC
    In limited LOB mode, DMS's recommended and fastest mode, values longer than `LobMaxSize`
    are truncated to it, with only a warning in the task log: the target silently holds cut-off
    documents. This is the premigration assessment "Recommend Max LOB setting" of DMS, which
    needs a task to run.

    ## How to fix
    Measure the longest value of each LOB column (the query in the fix reads every value: run
    it off-peak or on a replica), then set the task's `LobMaxSize` above it (in KB; DMS counts
    two bytes per character for NCLOB columns such as `text` and `jsonb`), or use full LOB mode
    (`FullLobMode`) or inline LOB mode (`InlineLobMaxSize`) for these tables.

    ## References
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.LOBSupport.html
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html#CHAP_Source-PostgreSQL-DataTypes-LOBs
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TaskSettings.TargetMetadata.html
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    - https://www.postgresql.org/docs/current/storage-toast.html
    """
    limit_kb = ctx.options_for(Options).lob_max_size_kb
    limit = limit_kb * KIB
    tables = facts.tables or []
    if tables and all(t.toastable_columns is None for t in tables):
        raise NotEvaluated("column types were not collected")
    for subject, group in leaves_of(facts).items():
        over: dict[str, dict[str, object]] = {}
        measure = []
        largest: tuple[float, list[str]] | None = None
        for table in group:
            figure = out_of_line_per_value(table)
            if figure is None or figure[0] <= limit:
                continue
            per_value, lobs = figure
            if largest is None or per_value > largest[0]:
                largest = figure
            over[table.qualified_name] = {
                "toast_bytes": table.toast_bytes,
                "rows": table.reltuples,
                "lob_columns": lobs,
                "bytes_per_row_and_column": round(per_value),
            }
            measure.append(sql(_measure(table, lobs), table=table.qualified_name))
        if largest is None:
            continue
        yield Finding(
            subject=subject,
            message=(
                f"{subject} holds on average {fmt_bytes(round(largest[0]))} out of line per row "
                f"and LOB column ({', '.join(largest[1])}), above LobMaxSize {limit_kb} KB: "
                "limited LOB mode truncates its larger values"
            ),
            evidence={"lob_max_size_kb": limit_kb, "tables": over},
            fix=Fix.of(
                note("measure the longest values (reads every value of these columns):"),
                *measure,
                note(
                    "then set the task's LobMaxSize (KB) above them, or FullLobMode / "
                    "InlineLobMaxSize for these tables",
                    lob_max_size_kb=limit_kb,
                ),
            ),
        )
