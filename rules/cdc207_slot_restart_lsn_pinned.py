"""CDC207: a slot retains WAL its consumer has already confirmed."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import Fix, note, sql
from rules._slots import slot_evidence
from rules._units import GIB, fmt_bytes


class Options(RuleOptions):
    min_bytes: int = option(
        4 * GIB,
        unit=Unit.BYTES,
        ge=0,
        description="distance of restart_lsn behind the WAL position that is reported",
    )


@rule(
    code="CDC207",
    name="slot-restart-lsn-pinned",
    severity=Severity.MEDIUM,
    requires=("slots",),
    options=Options,
)
def slot_restart_lsn_pinned(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A logical slot retains WAL its consumer already confirmed: restart_lsn is pinned.

    ## What it checks
    Logical slots whose `restart_lsn` lies at least 4 GiB (option `min_bytes` under
    `[rules.CDC207]`) before their `confirmed_flush_lsn`.

    ## Why it matters for CDC
    `restart_lsn` is where decoding would have to restart: it cannot move past the start of
    the oldest transaction that was still running when decoding passed (and past the last
    serialized catalog snapshot). A long-running or abandoned transaction therefore keeps WAL
    that the consumer has long confirmed, and the slot's retention grows although the
    connector is healthy and current. Retention estimates, disk alarms and
    `max_slot_wal_keep_size` all count from `restart_lsn`.

    ## How to fix
    Find and end the old transaction (long-running or prepared transactions: CDC303, CDC304),
    or the session that keeps one open; `restart_lsn` moves forward once decoding passes its
    end.

    ## References
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    - https://www.postgresql.org/docs/current/logicaldecoding-explanation.html#LOGICALDECODING-REPLICATION-SLOTS
    """
    min_bytes = ctx.options_for(Options).min_bytes
    for slot in facts.slots or []:
        if slot.slot_type != "logical" or not slot.restart_lsn or not slot.confirmed_flush_lsn:
            continue
        pinned = slot.confirmed_flush_lsn.position - slot.restart_lsn.position
        if pinned < min_bytes:
            continue
        yield Finding(
            subject=f"slot:{slot.slot_name}",
            message=(
                f"slot {slot.slot_name} keeps {fmt_bytes(pinned)} of WAL its consumer already "
                "confirmed: an old transaction pins restart_lsn"
            ),
            evidence={**slot_evidence(slot, facts.collected_at), "pinned_bytes": pinned},
            fix=Fix.of(
                note("find the oldest open or prepared transaction and end it:"),
                sql(
                    "SELECT pid, xact_start, state, query FROM pg_stat_activity "
                    "WHERE xact_start IS NOT NULL ORDER BY xact_start LIMIT 5;"
                ),
                sql("SELECT gid, prepared FROM pg_prepared_xacts ORDER BY prepared;"),
            ),
        )
