"""CDC007: wal_sender_timeout is disabled, or shorter than the connector tolerates."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from rules._recommended import set_to_recommended
from rules._units import as_milliseconds, fmt_duration, require_setting


@rule(
    code="CDC007",
    name="wal-sender-timeout",
    severity=Severity.HIGH,
    requires=("settings",),
)
def wal_sender_timeout(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """wal_sender_timeout is disabled, or shorter than the connector's status interval allows.

    ## What it checks
    `wal_sender_timeout` (as the auditing session sees it: audit with the connector's role, a
    per-role value applies) against the profile's minimum, 10 s in every profile:

    - dms: AWS DMS requires at least 10,000 ms for CDC (premigration assessment "wal_sender_timeout
      is set to a minimum required value", AWS DMS user guide);
    - debezium: the connector reports its position every `status.update.interval.ms`, 10 s by
      default (Debezium PostgreSQL connector docs); a shorter timeout ends idle streams;
    - native, generic: `wal_receiver_status_interval` is 10 s by default (PostgreSQL docs).

    A value below the minimum is high. `0` (no timeout) is low.

    ## Why it matters for CDC
    Below the minimum, the server ends the replication connection of a healthy but quiet
    consumer ("terminating walsender process due to replication timeout"): the connector
    restarts over and over, and each restart replays from the last confirmed position. With
    `0`, a consumer whose host died keeps its walsender and its slot "active" until TCP
    keepalives notice (hours by default); meanwhile the slot retains WAL and looks healthy,
    so the inactive-slot checks (CDC201) cannot see it.

    ## How to fix
    Use the default 60 s, or at least the profile's minimum. It is a reload-level setting; on
    RDS and Aurora set it in the parameter group (applies immediately).

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-WAL-SENDER-TIMEOUT
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-status-update-interval-ms
    """
    setting = require_setting(facts, "wal_sender_timeout")
    timeout_ms = as_milliseconds(setting)
    minimum_ms = ctx.profile.min_wal_sender_timeout_ms
    evidence = {
        "wal_sender_timeout": setting.value,
        "unit": setting.unit,
        "source": setting.source,
        "profile_minimum_ms": minimum_ms,
    }
    if timeout_ms == 0:
        yield Finding(
            subject="setting:wal_sender_timeout",
            message=(
                "wal_sender_timeout is 0 (disabled): a dead consumer keeps its walsender and "
                "slot active until TCP keepalives notice"
            ),
            evidence=evidence,
            fix=set_to_recommended(facts, ctx, "wal_sender_timeout"),
            severity=Severity.LOW,
        )
    elif 0 < timeout_ms < minimum_ms:
        yield Finding(
            subject="setting:wal_sender_timeout",
            message=(
                f"wal_sender_timeout is {fmt_duration(timeout_ms / 1000)}, below the "
                f"{ctx.profile.name} minimum of {fmt_duration(minimum_ms / 1000)}: quiet "
                "replication connections are cut"
            ),
            evidence=evidence,
            fix=set_to_recommended(facts, ctx, "wal_sender_timeout"),
        )
