"""CDC013: synchronous_standby_names with '*' lets the CDC consumer hold every commit."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import Fix, note
from audit.remedy.settings import set_setting
from rules._units import require_setting


@rule(
    code="CDC013",
    name="synchronous-standby-wildcard",
    severity=Severity.HIGH,
    requires=("settings",),
    profiles=("debezium", "dms", "generic"),
)
def synchronous_standby_wildcard(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """synchronous_standby_names matches any walsender: commits can wait for the CDC consumer.

    ## What it checks
    `synchronous_standby_names` containing `*` (alone, or in a `FIRST n (...)` or `ANY n (...)`
    list). Native subscriptions are not judged: making a subscriber synchronous can be the
    intent.

    ## Why it matters for CDC
    `*` matches every walsender, logical ones included: a CDC consumer becomes a synchronous
    standby candidate (`sync_state = sync` in `pg_stat_replication`, observed with
    `pg_recvlogical` on PostgreSQL 15). Commits then wait until the consumer confirms it has
    flushed them, and CDC consumers confirm late on purpose (Debezium after its offsets are
    committed, every `offset.flush.interval.ms`): application commits stall for seconds to
    minutes, or indefinitely while the connector is down.

    ## How to fix
    List the physical standbys by name (their `application_name`) instead of `*`, for
    example `FIRST 1 (standby1, standby2)`; a reload applies it.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-SYNCHRONOUS-STANDBY-NAMES
    - https://www.postgresql.org/docs/current/warm-standby.html#SYNCHRONOUS-REPLICATION
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-wal-disk-space
    """
    setting = require_setting(facts, "synchronous_standby_names")
    if "*" not in setting.value:
        return
    yield Finding(
        subject="setting:synchronous_standby_names",
        message=(
            f"synchronous_standby_names is {setting.value!r}: the CDC consumer's walsender can "
            "become the synchronous standby that every commit waits for"
        ),
        evidence={"synchronous_standby_names": setting.value, "source": setting.source},
        fix=Fix.of(
            note("name the physical standbys", current_value=setting.value),
            *set_setting(
                facts,
                "synchronous_standby_names",
                "FIRST 1 (<standby application_name>, ...)",
                restart=False,
            ).steps,
        ),
    )
