"""CDC014: max_slot_wal_keep_size is smaller than the WAL written between checkpoints."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import Fix, note
from rules._keep_size import keep_size_steps
from rules._units import as_bytes, fmt_bytes, require_setting


@rule(
    code="CDC014",
    name="slot-wal-keep-size-too-small",
    severity=Severity.HIGH,
    requires=("settings",),
)
def slot_wal_keep_size_too_small(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """max_slot_wal_keep_size is below max_wal_size: a short consumer pause invalidates the slot.

    ## What it checks
    A set `max_slot_wal_keep_size` (not `-1`) smaller than `max_wal_size`. Unlimited retention
    is CDC005's; whether the limit covers the snapshot and a planned outage at the measured
    WAL rate is the capacity section's.

    ## Why it matters for CDC
    A checkpoint is triggered after up to `max_wal_size` of WAL, and at each checkpoint slots
    lagging by more than `max_slot_wal_keep_size` lose the WAL they need (`wal_status = lost`).
    With a limit below one checkpoint cycle, a consumer that pauses for a deployment, a
    rebalance or a long transaction in decoding loses its slot and needs a new snapshot.

    ## How to fix
    Raise `max_slot_wal_keep_size` well above `max_wal_size`, sized by the WAL rate and the
    longest consumer outage you want to survive (reload, no restart).

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-MAX-SLOT-WAL-KEEP-SIZE
    - https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-MAX-WAL-SIZE
    - https://www.postgresql.org/docs/current/wal-configuration.html
    """
    keep_setting = facts.setting("max_slot_wal_keep_size")
    if keep_setting is None:
        return  # before PostgreSQL 13 (CDC005), or not collected (CDC005 reports that)
    keep = as_bytes(keep_setting)
    if keep < 0:
        return
    max_wal = as_bytes(require_setting(facts, "max_wal_size"))
    if keep >= max_wal:
        return
    yield Finding(
        subject="setting:max_slot_wal_keep_size",
        message=(
            f"max_slot_wal_keep_size is {fmt_bytes(keep)}, below max_wal_size "
            f"{fmt_bytes(max_wal)}: a consumer one checkpoint cycle behind loses its slot"
        ),
        evidence={"max_slot_wal_keep_size_bytes": keep, "max_wal_size_bytes": max_wal},
        fix=Fix.of(
            *keep_size_steps(facts, ctx, above=keep),
            note("size it by the WAL rate and the longest consumer outage to survive"),
        ),
    )
