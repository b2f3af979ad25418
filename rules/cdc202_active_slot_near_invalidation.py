"""CDC202: a slot in use is about to lose WAL its consumer has not read yet."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import Fix, note
from rules._keep_size import keep_size_steps
from rules._slots import ABOUT_TO_LOSE, slot_evidence
from rules._units import as_bytes, fmt_bytes


class Options(RuleOptions):
    min_safe_percent: int = option(
        25,
        unit=Unit.PERCENT,
        ge=0,
        le=100,
        description="safe_wal_size below this share of max_slot_wal_keep_size fails",
    )


@rule(
    code="CDC202",
    name="active-slot-near-invalidation",
    severity=Severity.HIGH,
    requires=("slots",),
    options=Options,
)
def active_slot_near_invalidation(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A slot in use is about to lose WAL its consumer has not read yet.

    ## What it checks
    Active slots (a consumer is connected) that are falling behind the slot WAL limit:

    - `wal_status = unreserved`: the WAL the slot needs will be removed at the next
      checkpoint (critical);
    - `safe_wal_size`, the WAL that can still be written before the slot is invalidated, is
      below 25% of `max_slot_wal_keep_size` (option `min_safe_percent` under
      `[rules.CDC202]`) (high).

    Without a limit (`max_slot_wal_keep_size = -1`) there is no `safe_wal_size` and nothing to
    judge here; CDC005 reports the missing limit. Inactive slots are CDC201's and CDC204's.

    ## Why it matters for CDC
    A consumer that reads slower than the server writes WAL eats into the slot's budget.
    When the budget runs out the slot is invalidated (`wal_status = lost`, reason
    `wal_removed`), the stream breaks with "requested WAL segment has already been removed",
    and the connector needs a new slot and a new snapshot.

    ## How to fix
    Find why the consumer lags (throughput, a long transaction being decoded, spills to disk,
    a stuck sink) and fix that first. To buy time, raise `max_slot_wal_keep_size` (reload, no
    restart) if the disk has room.

    ## References
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-MAX-SLOT-WAL-KEEP-SIZE
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-wal-disk-space
    """
    min_percent = ctx.options_for(Options).min_safe_percent
    keep_setting = facts.setting("max_slot_wal_keep_size")
    keep = as_bytes(keep_setting) if keep_setting is not None else None
    for slot in facts.slots or []:
        if not slot.active:
            continue
        evidence = {**slot_evidence(slot, facts.collected_at), "max_slot_wal_keep_size": keep}
        name = slot.slot_name
        if slot.wal_status == ABOUT_TO_LOSE:
            yield Finding(
                subject=f"slot:{name}",
                message=(
                    f"slot {name} is in use but unreserved: WAL its consumer still needs is "
                    "removed at the next checkpoint"
                ),
                evidence=evidence,
                fix=_fix(facts, ctx, name, keep),
                severity=Severity.CRITICAL,
            )
        elif (
            keep is not None
            and keep > 0
            and slot.safe_wal_size is not None
            and slot.safe_wal_size < keep * min_percent / 100
        ):
            yield Finding(
                subject=f"slot:{name}",
                message=(
                    f"slot {name} is in use and {fmt_bytes(max(slot.safe_wal_size, 0))} of WAL "
                    f"from invalidation ({fmt_bytes(keep)} max_slot_wal_keep_size)"
                ),
                evidence=evidence,
                fix=_fix(facts, ctx, name, keep),
            )


def _fix(facts: Facts, ctx: RuleContext, name: str, keep: int | None) -> Fix:
    return Fix.of(
        note(
            f"find why the consumer of slot {name} lags (throughput, decoding of a long "
            "transaction, a stuck sink); to buy time, if the disk has room:",
            slot_name=name,
        ),
        *keep_size_steps(facts, ctx, above=keep),
    )
