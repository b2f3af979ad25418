"""CDC009: idle_replication_slot_timeout invalidates slots of connectors paused for a short time."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import Fix, note
from audit.remedy.settings import set_setting
from rules._units import as_milliseconds, fmt_duration, require_setting

FIRST_MAJOR = 18


class Options(RuleOptions):
    min_seconds: int = option(
        86_400, unit=Unit.SECONDS, ge=0, description="timeouts shorter than this fail"
    )


@rule(
    code="CDC009",
    name="idle-replication-slot-timeout",
    severity=Severity.MEDIUM,
    requires=("server", "settings"),
    options=Options,
)
def idle_replication_slot_timeout(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """idle_replication_slot_timeout invalidates the slot of a connector paused for a short while.

    ## What it checks
    On PostgreSQL 18 and later, `idle_replication_slot_timeout` invalidates a slot that has been
    inactive longer than the timeout (at the next checkpoint). The rule reports a non-zero
    value below 24 h (option `min_seconds` under `[rules.CDC009]`): a connector stopped for a
    maintenance window, a weekend or a failed deployment would lose its slot. `0` (the
    default) disables the timeout; older versions have no such setting and pass.

    ## Why it matters for CDC
    An invalidated slot cannot be resumed (`invalidation_reason = idle_timeout`): the
    connector has to create a new slot and take a new initial snapshot, and changes made
    between the invalidation and the new snapshot reach consumers only through it. The
    timeout is a safety net against abandoned slots; set too short, it turns every pause
    into a re-snapshot.

    ## How to fix
    Raise the timeout above the longest planned consumer outage, or set it to 0 and bound
    retention with `max_slot_wal_keep_size` instead (CDC005). It is a reload-level setting.

    ## References
    - https://www.postgresql.org/docs/18/runtime-config-replication.html#GUC-IDLE-REPLICATION-SLOT-TIMEOUT
    - https://www.postgresql.org/docs/18/view-pg-replication-slots.html
    """
    assert facts.server is not None
    if facts.server.major < FIRST_MAJOR:
        return
    minimum = ctx.options_for(Options).min_seconds
    setting = require_setting(facts, "idle_replication_slot_timeout")
    seconds = as_milliseconds(setting) / 1000
    if 0 < seconds < minimum:
        yield Finding(
            subject="setting:idle_replication_slot_timeout",
            message=(
                f"idle_replication_slot_timeout is {fmt_duration(seconds)}: a slot whose "
                f"connector pauses longer is invalidated (threshold {fmt_duration(minimum)})"
            ),
            evidence={
                "idle_replication_slot_timeout": setting.value,
                "unit": setting.unit,
                "min_seconds": minimum,
            },
            fix=_disable_or_raise(facts),
        )


def _disable_or_raise(facts: Facts) -> Fix:
    disable = set_setting(facts, "idle_replication_slot_timeout", "0", restart=False)
    return Fix.of(
        *disable.steps,
        note("or a value above the longest planned consumer outage (for example '2d')"),
    )
