"""CDC005: nothing limits the WAL a stalled replication slot can retain."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import Fix, note
from rules._keep_size import keep_size_fix
from rules._units import as_int, require_setting

FIRST_MAJOR = 13


@rule(
    code="CDC005",
    name="slot-wal-keep-size-unlimited",
    severity=Severity.MEDIUM,
    requires=("server", "settings"),
)
def slot_wal_keep_size_unlimited(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Nothing limits how much WAL a stalled replication slot can retain.

    ## What it checks
    `max_slot_wal_keep_size` (PostgreSQL 13+) must not be `-1` (unlimited, the default). On
    PostgreSQL 12 and older the setting does not exist, so there is no limit at all, which is
    reported the same way. On Aurora the finding is low: its cluster volume grows instead of
    filling up, so an unlimited slot costs storage rather than an outage.

    ## Why it matters for CDC
    A slot keeps WAL until its consumer confirms it. When a connector stops (a failed task,
    a paused connector, a deleted pipeline whose slot stayed behind) WAL piles up at the
    instance's write rate until the disk is full and PostgreSQL stops accepting writes: a CDC
    problem becomes a database outage. With a limit, the slot is invalidated instead
    (`wal_status = lost`) and the connector needs a new snapshot; that trade is usually the
    right one, and the report's runway estimate shows how long a stalled slot has either way.

    ## How to fix
    Set `max_slot_wal_keep_size` below the free space of the WAL volume and above the WAL the
    instance writes while a connector may reasonably be down (maintenance, a weekend); the
    capacity section of the report gives the WAL rate to size it. It is a reload-level
    setting: no restart needed. On PostgreSQL 12, upgrade, or monitor slot retention closely.

    Native profile: `pg_createsubscriber` (PostgreSQL 17+), which turns a physical standby
    into a subscriber, expects `-1` on the publisher while it runs (from 18 its dry run warns
    otherwise), because WAL the standby still needs could be removed. When a subscriber is
    built that way, keep `-1` for the conversion and set the limit once the subscription is
    streaming; the fix says so.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-MAX-SLOT-WAL-KEEP-SIZE
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-wal-disk-space
    - https://www.postgresql.org/docs/18/app-pgcreatesubscriber.html
    """
    assert facts.server is not None
    server = facts.server
    aurora = facts.platform.is_aurora
    severity = Severity.LOW if aurora else None
    if server.major < FIRST_MAJOR:
        yield Finding(
            subject="setting:max_slot_wal_keep_size",
            message=(
                f"PostgreSQL {server.major} has no max_slot_wal_keep_size: a stalled slot "
                "retains WAL until the disk is full"
            ),
            evidence={"version_num": server.version_num},
            fix=Fix.of(
                note(
                    "upgrade to PostgreSQL 13 or later to cap slot retention; until then alert "
                    "on pg_replication_slots retention",
                    version_num=server.version_num,
                )
            ),
            severity=severity,
        )
        return
    setting = require_setting(facts, "max_slot_wal_keep_size")
    if as_int(setting) >= 0:
        return
    yield Finding(
        subject="setting:max_slot_wal_keep_size",
        message=(
            "max_slot_wal_keep_size is -1 (unlimited): a stalled slot retains WAL until "
            + ("the cluster volume grows without bound" if aurora else "the disk is full")
        ),
        evidence={"max_slot_wal_keep_size": setting.value, "unit": setting.unit},
        fix=_with_createsubscriber_note(keep_size_fix(facts, ctx), ctx),
        severity=severity,
    )


def _with_createsubscriber_note(fix: Fix, ctx: RuleContext) -> Fix:
    """Native subscriptions: the limit waits until a pg_createsubscriber conversion is done."""
    if ctx.profile.name != "native":
        return fix
    return Fix(
        steps=(
            note(
                "if the subscriber is built from a physical standby with pg_createsubscriber, "
                "keep -1 while it runs (it expects -1 on the publisher) and apply the limit "
                "below once the subscription is streaming",
                profile="native",
            ),
            *fix.steps,
        )
    )
