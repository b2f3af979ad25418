"""CDC012: synchronized_standby_slots names a standby slot that holds failover slots back."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import Fix, note
from audit.remedy.settings import set_setting
from rules._slots import is_lost
from rules._units import require_setting

FIRST_MAJOR = 17


@rule(
    code="CDC012",
    name="standby-slots-block-decoding",
    severity=Severity.CRITICAL,
    requires=("server", "settings", "slots"),
)
def standby_slots_block_decoding(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """synchronized_standby_slots names a standby slot that is missing, lost or idle.

    ## What it checks
    On PostgreSQL 17+, when failover-enabled logical slots exist, every physical slot listed in
    `synchronized_standby_slots` must exist, be valid and be in use by its standby:

    - missing or invalidated: critical, failover slots cannot advance at all;
    - inactive (the standby is not streaming): high, failover slots stop as soon as they
      reach the position that standby last confirmed.

    Slots created without failover are not held back and are not counted.

    ## Why it matters for CDC
    A logical walsender (and `pg_logical_slot_get_changes`) on a failover slot sends nothing
    the listed standbys have not confirmed, so that the promoted standby never lags behind the
    consumer. A listed slot that is gone or whose standby is down stalls every failover
    consumer; PostgreSQL only logs "Logical replication is waiting on the standby associated
    with ..." (observed on PostgreSQL 18 with a missing slot).

    ## How to fix
    Remove the slot from `synchronized_standby_slots` (a reload applies it), or bring its
    standby back; create the physical slot if the standby is meant to stream through it.

    ## References
    - https://www.postgresql.org/docs/17/runtime-config-replication.html#GUC-SYNCHRONIZED-STANDBY-SLOTS
    - https://www.postgresql.org/docs/17/logicaldecoding-explanation.html#LOGICALDECODING-REPLICATION-SLOTS-SYNCHRONIZATION
    """
    assert facts.server is not None
    if facts.server.major < FIRST_MAJOR:
        return
    slots = facts.slots or []
    waiting = [s.slot_name for s in slots if s.slot_type == "logical" and s.failover]
    if not waiting:
        return
    setting = require_setting(facts, "synchronized_standby_slots")
    listed = [n.strip().strip('"') for n in setting.value.split(",") if n.strip()]
    by_name = {s.slot_name: s for s in slots}
    blocking: dict[str, str] = {}
    severity = Severity.HIGH
    for name in listed:
        slot = by_name.get(name)
        if slot is None or is_lost(slot) or slot.slot_type != "physical":
            blocking[name] = "does not exist" if slot is None else "is not a valid physical slot"
            severity = Severity.CRITICAL
        elif not slot.active:
            blocking[name] = "is not in use by its standby"
    if not blocking:
        return
    problems = "; ".join(f"{name} {why}" for name, why in blocking.items())
    keep = [n for n in listed if n not in blocking]
    yield Finding(
        subject="setting:synchronized_standby_slots",
        message=(
            f"synchronized_standby_slots lists {problems}: failover slot(s) "
            f"{', '.join(waiting)} wait for it"
        ),
        evidence={
            "synchronized_standby_slots": setting.value,
            "blocking": blocking,
            "failover_slots": waiting,
        },
        fix=Fix.of(
            *set_setting(facts, "synchronized_standby_slots", ", ".join(keep), restart=False).steps,
            note("or bring the standby back / create its physical slot", blocking=blocking),
        ),
        severity=severity,
    )
