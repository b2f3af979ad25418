"""CDC203: a slot in use holds the xmin horizon back, so VACUUM cannot clean up."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import Fix, note, sql
from rules._slots import slot_evidence
from rules._units import as_int, fmt_count

DEFAULT_FREEZE_MAX_AGE = 200_000_000
CRITICAL_AGE = 1_000_000_000


@rule(
    code="CDC203",
    name="slot-holding-back-xmin",
    severity=Severity.HIGH,
    requires=("slots",),
)
def slot_holding_back_xmin(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A slot in use holds the xmin horizon back: VACUUM cannot remove dead rows or freeze.

    ## What it checks
    The age of each active slot's `xmin` (physical slots with `hot_standby_feedback`) and
    `catalog_xmin` (logical slots), against `autovacuum_freeze_max_age` (200,000,000 when the
    setting was not collected):

    - medium at half of `autovacuum_freeze_max_age`;
    - high at `autovacuum_freeze_max_age`;
    - critical at 1,000,000,000, halfway to transaction ID wraparound.

    Inactive slots are judged by CDC201 (logical) and CDC204 (physical).

    ## Why it matters for CDC
    A logical slot's `catalog_xmin` keeps dead system-catalog rows, and a physical slot's
    `xmin` (a standby's oldest query) keeps dead rows of every table. An old horizon means a
    consumer that confirms nothing (stuck on a huge transaction, or a sink that never acks),
    or a standby with a long query. Tables and catalogs bloat, anti-wraparound vacuums run
    and cannot finish, and at the end PostgreSQL stops assigning transaction IDs.

    ## How to fix
    Find the consumer that holds the horizon: a logical consumer that does not confirm its
    position, or a long query on a standby with `hot_standby_feedback`. Fixing it moves the
    horizon; dropping the slot releases it at once (the consumer then needs a new snapshot).

    ## References
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    - https://www.postgresql.org/docs/current/routine-vacuuming.html#VACUUM-FOR-WRAPAROUND
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-HOT-STANDBY-FEEDBACK
    """
    setting = facts.setting("autovacuum_freeze_max_age")
    freeze_max_age = as_int(setting) if setting is not None else DEFAULT_FREEZE_MAX_AGE
    for slot in facts.slots or []:
        ages = [a for a in (slot.xmin_age, slot.catalog_xmin_age) if a is not None]
        if not slot.active or not ages:
            continue
        age = max(ages)
        if age < freeze_max_age // 2:
            continue
        if age >= CRITICAL_AGE:
            severity = Severity.CRITICAL
        elif age >= freeze_max_age:
            severity = Severity.HIGH
        else:
            severity = Severity.MEDIUM
        which = "xmin" if slot.xmin_age == age else "catalog_xmin"
        yield Finding(
            subject=f"slot:{slot.slot_name}",
            message=(
                f"slot {slot.slot_name} holds {which} {fmt_count(age)} transactions back "
                f"(autovacuum_freeze_max_age {fmt_count(freeze_max_age)})"
            ),
            evidence={
                **slot_evidence(slot, facts.collected_at),
                "autovacuum_freeze_max_age": freeze_max_age,
                "autovacuum_freeze_max_age_collected": setting is not None,
            },
            fix=Fix.of(
                note(
                    f"find the consumer of slot {slot.slot_name}: a logical consumer that does "
                    "not confirm its position, or a long query on the standby "
                    "(hot_standby_feedback)",
                    slot_name=slot.slot_name,
                ),
                sql(
                    "SELECT pid, application_name, client_addr, state, backend_xmin "
                    "FROM pg_stat_replication"
                    + (f" WHERE pid = {slot.active_pid};" if slot.active_pid else ";"),
                    active_pid=slot.active_pid,
                ),
            ),
            severity=severity,
        )
