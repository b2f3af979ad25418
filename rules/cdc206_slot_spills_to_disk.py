"""CDC206: decoding for a slot spills large transactions to disk."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import Fix, note, sql
from rules._sql import quote_ident
from rules._units import GIB, as_bytes, fmt_bytes, fmt_count


class Options(RuleOptions):
    min_spill_bytes: int = option(
        1 * GIB, unit=Unit.BYTES, ge=0, description="bytes spilled before a slot is reported"
    )
    min_spill_percent: int = option(
        10,
        unit=Unit.PERCENT,
        ge=0,
        le=100,
        description="share of the decoded bytes spilled before a slot is reported",
    )


@rule(
    code="CDC206",
    name="slot-spills-to-disk",
    severity=Severity.MEDIUM,
    requires=("slot_stats",),
    options=Options,
)
def slot_spills_to_disk(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Decoding for a slot spills transactions to disk: logical_decoding_work_mem is too small.

    ## What it checks
    `pg_stat_replication_slots` (PostgreSQL 14+) since its last reset: a slot whose decoding
    spilled at least 1 GiB (`min_spill_bytes`) and at least 10% (`min_spill_percent`) of the
    bytes it decoded to disk; options under `[rules.CDC206]`. The finding shows the running
    `logical_decoding_work_mem`.

    ## Why it matters for CDC
    The walsender keeps each transaction's changes in memory up to `logical_decoding_work_mem`
    (64 MB by default) and writes the rest to files under `pg_replslot`. Spilling costs disk
    I/O on the primary, slows the stream (the consumer lags, the slot retains more WAL) and
    fills the data directory during a bulk load. AWS DMS' premigration assessment recommends
    tuning this setting for the same reason.

    ## How to fix
    Raise `logical_decoding_work_mem` for the connector's role (`ALTER ROLE ... SET
    logical_decoding_work_mem = '256MB'`, effective at the next connection; each walsender may
    use that much), or server-wide. Native subscriptions can stream large transactions
    instead (`ALTER SUBSCRIPTION ... SET (streaming = on)`, PostgreSQL 14+). Break up huge
    batch transactions where possible.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-resource.html#GUC-LOGICAL-DECODING-WORK-MEM
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-REPLICATION-SLOTS-VIEW
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    """
    options = ctx.options_for(Options)
    min_bytes = options.min_spill_bytes
    min_percent = options.min_spill_percent
    work_mem = facts.setting("logical_decoding_work_mem")
    work_mem_bytes = as_bytes(work_mem) if work_mem is not None else None
    role = facts.role.name if facts.role else None
    for stats in facts.slot_stats or []:
        spilled = stats.spill_bytes or 0
        total = stats.total_bytes or 0
        if spilled < min_bytes or total <= 0 or spilled * 100 < total * min_percent:
            continue
        memory = (
            f" with logical_decoding_work_mem {fmt_bytes(work_mem_bytes)}" if work_mem_bytes else ""
        )
        since = f" since {stats.stats_reset:%Y-%m-%d}" if stats.stats_reset else ""
        yield Finding(
            subject=f"slot:{stats.slot_name}",
            message=(
                f"slot {stats.slot_name} spilled {fmt_bytes(spilled)} to disk in "
                f"{fmt_count(stats.spill_txns or 0)} transaction(s){since}, "
                f"{spilled * 100 // total}% of the {fmt_bytes(total)} decoded{memory}"
            ),
            evidence={
                "slot_name": stats.slot_name,
                "spill_txns": stats.spill_txns,
                "spill_count": stats.spill_count,
                "spill_bytes": spilled,
                "total_bytes": total,
                "stream_bytes": stats.stream_bytes,
                "stats_reset": stats.stats_reset.isoformat() if stats.stats_reset else None,
                "logical_decoding_work_mem_bytes": work_mem_bytes,
            },
            fix=Fix.of(
                sql(
                    f"ALTER ROLE {quote_ident(role) if role else '<connector role>'} "
                    "SET logical_decoding_work_mem = '256MB';  -- applies to new connections",
                    role=role,
                    value="256MB",
                ),
                note("native subscriptions: ALTER SUBSCRIPTION ... SET (streaming = on);"),
            ),
        )
