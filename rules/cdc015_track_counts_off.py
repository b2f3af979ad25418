"""CDC015: track_counts is off, so nothing counts row changes."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from rules._recommended import set_to_recommended
from rules._stats import counters_off
from rules._units import require_setting


@rule(
    code="CDC015",
    name="track-counts-off",
    severity=Severity.MEDIUM,
    requires=("settings",),
)
def track_counts_off(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """track_counts is off: nothing counts row changes, and autovacuum does not run.

    ## What it checks
    The running value of `track_counts` (on by default).

    ## Why it matters for CDC
    Without it `pg_stat_user_tables` and `pg_stat_database` stay at zero. The audit then
    cannot tell an insert-only table from a busy one: the WAL overhead, the REPLICA IDENTITY
    FULL cost (CDC102), the heartbeat need (CDC308) and the insert-only downgrade of CDC101
    are not judged on counters that are always zero. Autovacuum also depends on these
    counters and stops working: dead rows pile up, including those that decoding and slots
    keep around.

    ## How to fix
    Turn `track_counts` back on (a reload applies it), wait for a representative period, and
    audit again.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-statistics.html#GUC-TRACK-COUNTS
    - https://www.postgresql.org/docs/current/routine-vacuuming.html#AUTOVACUUM
    """
    setting = require_setting(facts, "track_counts")
    if not counters_off(facts):
        return
    yield Finding(
        subject="setting:track_counts",
        message="track_counts is off: row-change counters stay at zero and autovacuum does not run",
        evidence={"track_counts": setting.value, "source": setting.source},
        fix=set_to_recommended(facts, ctx, "track_counts"),
    )
