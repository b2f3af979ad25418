"""CDC308: the captured tables are quiet while the instance writes WAL: the slot cannot advance."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import (
    Finding,
    NotEvaluated,
    RuleContext,
    RuleOptions,
    Severity,
    Unit,
    option,
    rule,
)
from audit.estimate.model import ConnectorSetting
from audit.facts import Facts, TableKind
from audit.remedy import Fix, Step, StepKind, note, sql
from rules._estimates import estimates_for
from rules._stats import COUNTERS_OFF, counters_off
from rules._units import MIB, fmt_bytes, fmt_count, fmt_duration
from rules._window import instance_row_changes, table_row_changes, wal_bytes, window_seconds

DEBEZIUM_INTERVAL_MS = 10_000  # when no interval could be recommended
DMS_FREQUENCY_MINUTES = 5


def _fix(profile: str, heartbeat: ConnectorSetting | None) -> Fix:
    """The profile's heartbeat, at the interval ``estimates.recommendations.heartbeat`` gives."""
    value = heartbeat.value if heartbeat is not None and heartbeat.ok else None
    if profile == "debezium":
        interval = value or DEBEZIUM_INTERVAL_MS
        return Fix.of(
            sql(
                "CREATE TABLE IF NOT EXISTS public.debezium_heartbeat "
                "(id int PRIMARY KEY, ts timestamptz NOT NULL);"
            ),
            note(
                "add it to the connector's publication, then in the connector configuration:\n"
                f"  heartbeat.interval.ms={interval}\n"
                "  heartbeat.action.query=INSERT INTO public.debezium_heartbeat VALUES (1, now()) "
                "ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts",
                setting="heartbeat.interval.ms",
                value=interval,
            ),
        )
    if profile == "dms":
        frequency = value or DMS_FREQUENCY_MINUTES
        return Fix.of(
            note(
                "on the DMS source endpoint: HeartbeatEnable=true (HeartbeatFrequency in minutes)"
            ),
            Step(
                kind=StepKind.AWS_CLI,
                text="aws dms modify-endpoint --endpoint-arn '<source-endpoint-arn>' "
                f"--postgre-sql-settings HeartbeatEnable=true,HeartbeatFrequency={frequency}",
                facts={"setting": "HeartbeatFrequency", "value": frequency},
            ),
        )
    return Fix.of(
        note(
            "have the consumer confirm keepalive positions, or write to a captured table "
            "periodically, for example:"
        ),
        sql("SELECT pg_logical_emit_message(true, 'heartbeat', now()::text);"),
    )


class Options(RuleOptions):
    min_window_seconds: int = option(
        60, unit=Unit.SECONDS, ge=0, description="shortest sampling window that is judged"
    )
    min_wal_bytes: int = option(
        16 * MIB, unit=Unit.BYTES, ge=0, description="WAL written meanwhile that fails"
    )
    min_other_rows: int = option(
        1000, unit=Unit.COUNT, ge=0, description="rows changed elsewhere meanwhile that fail"
    )


@rule(
    code="CDC308",
    name="heartbeat-needed",
    severity=Severity.MEDIUM,
    requires=("sampling", "tables"),
    profiles=("debezium", "dms", "generic"),
    options=Options,
)
def heartbeat_needed(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The captured tables were quiet while the instance wrote WAL: the slot needs heartbeats.

    ## What it checks
    Over the sampling window (at least 60 s, option `min_window_seconds`), no row of the
    tables in scope changed, while the instance did write: at least 16 MiB of WAL
    (`min_wal_bytes`), or at least 1,000 rows changed elsewhere, in other tables or other
    databases (`min_other_rows`); options under `[rules.CDC308]`. Native subscriptions are not
    judged: their apply worker confirms the positions of keepalive messages by itself.

    ## Why it matters for CDC
    WAL is shared by every database of the instance, and a slot moves forward only when its
    consumer confirms a position. A connector whose tables are quiet receives no changes to
    confirm, so its slot retains all the WAL written elsewhere (other tables, other
    databases, on RDS the writes to the internal `rdsadmin` database): storage fills up while
    the connector looks healthy and idle. A heartbeat that writes to a captured table (or a
    consumer that confirms keepalive positions) lets the slot advance.

    ## How to fix
    Debezium: `heartbeat.interval.ms` with a `heartbeat.action.query` that writes a row to a
    table in the publication. AWS DMS: the source endpoint setting `HeartbeatEnable`. Other
    consumers: confirm the positions of keepalive messages, or write periodically to a
    captured table or with `pg_logical_emit_message`.

    ## References
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-wal-disk-space
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-heartbeat-action-query
    - https://docs.aws.amazon.com/dms/latest/APIReference/API_PostgreSQLSettings.html
    - https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-REPLICATION
    """
    assert facts.sampling is not None
    sampling = facts.sampling
    options = ctx.options_for(Options)
    min_window = options.min_window_seconds
    min_wal = options.min_wal_bytes
    min_other = options.min_other_rows
    if counters_off(facts):
        raise NotEvaluated(COUNTERS_OFF)
    seconds = window_seconds(sampling)
    if seconds < min_window:
        raise NotEvaluated(
            f"the sampling window lasted {fmt_duration(seconds)}, less than "
            f"{fmt_duration(min_window)}: too short to call the captured tables quiet"
        )
    captured = [t.qualified_name for t in facts.tables or [] if t.kind is not TableKind.PARTITIONED]
    changed = table_row_changes(sampling, captured)
    if changed is None:
        raise NotEvaluated("row changes per table were not sampled")
    written = wal_bytes(sampling)
    instance_rows = instance_row_changes(sampling)
    elsewhere = instance_rows - changed if instance_rows is not None else None
    if written is None and elsewhere is None:
        raise NotEvaluated("neither the WAL written nor the instance's row changes were sampled")
    if changed > 0 or not captured:
        return
    busy = []
    if written is not None and written >= min_wal:
        busy.append(f"the instance wrote {fmt_bytes(written)} of WAL")
    if elsewhere is not None and elsewhere >= min_other:
        busy.append(f"{fmt_count(elsewhere)} rows changed elsewhere")
    if not busy:
        return
    yield Finding(
        subject="scope:heartbeat",
        message=(
            f"the {len(captured)} captured table(s) saw no change in {fmt_duration(seconds)} "
            f"while {' and '.join(busy)}: the slot cannot advance without heartbeats"
        ),
        evidence={
            "window_seconds": round(seconds),
            "captured_tables": len(captured),
            "captured_row_changes": changed,
            "instance_row_changes": instance_rows,
            "wal_bytes": written,
            "methods": sampling.methods,
        },
        fix=_fix(ctx.profile.name, estimates_for(facts, ctx).recommendations.heartbeat),
    )
