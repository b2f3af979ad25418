"""CDC502: the WAL held during the snapshot and catch-up exceeds the slot limit or the disk."""

from __future__ import annotations

import math
from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.estimate.model import Runway
from audit.facts import Facts
from audit.remedy import Fix, note
from rules._estimates import estimates_for, require_estimate
from rules._keep_size import keep_size_steps
from rules._units import fmt_bytes, fmt_duration


def _limits(runway: Runway) -> dict[str, float]:
    return {
        name: limit.limit_bytes
        for name, limit in runway.limits.items()
        if limit.ok and limit.limit_bytes is not None
    }


@rule(
    code="CDC502",
    name="snapshot-outlives-slot",
    severity=Severity.HIGH,
    requires=("tables", "settings"),
)
def snapshot_outlives_slot(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The WAL held during the initial snapshot and catch-up exceeds the slot limit or the disk.

    ## What it checks
    The capacity estimate `snapshot.retained_wal_bytes`: logical WAL rate x (snapshot duration
    + catch-up), for the profile's snapshot method (Debezium initial or incremental, DMS full
    load, native table sync). It compares the range with `max_slot_wal_keep_size` and with the
    free disk (CloudWatch `FreeStorageSpace`, or the option `free_disk_bytes`). It fails when
    the expected figure exceeds a limit (high), or only the high end does (medium), or the
    consumer never catches up at the expected rate.

    ## Why it matters for CDC
    The replication slot is created before the snapshot starts and holds every byte of WAL
    written until the consumer has caught up. A slot that passes `max_slot_wal_keep_size` is
    invalidated (`wal_status = lost`): the snapshot has to start over. Without that limit the
    WAL fills the disk and the server stops accepting writes.

    ## How to fix
    Raise `max_slot_wal_keep_size` to the recommended value in the report (it must fit on the
    disk), or shorten the hold: Debezium incremental snapshots (`snapshot.mode=no_data` plus a
    signal) let streaming advance the slot while chunks are read; more snapshot threads or
    DMS `MaxFullLoadSubTasks`; snapshot during a quiet period; add storage first.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-MAX-SLOT-WAL-KEEP-SIZE
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-incremental-snapshots
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.CustomizingTasks.TaskSettings.FullLoad.html
    - docs/capacity.md in this repository
    """
    estimates = estimates_for(facts, ctx)
    snapshot = require_estimate(estimates.snapshot, "snapshot")
    retained = snapshot.retained_wal_bytes
    seconds = snapshot.seconds
    if retained is None or seconds is None:
        raise NotEvaluated("the WAL rate is unavailable, so the WAL held by the snapshot is too")
    limits = _limits(estimates.runway)
    if not limits:
        raise NotEvaluated(
            "neither max_slot_wal_keep_size nor the free disk space is known "
            "(max_slot_wal_keep_size = -1 and no free_disk_bytes)"
        )
    expected = retained.expected
    high = retained.high
    never = math.isinf(expected)
    catch_up = snapshot.catch_up_seconds
    evidence = {
        "mode": snapshot.mode,
        "snapshot_seconds": seconds.as_dict(),
        "catch_up_seconds": catch_up.as_dict() if catch_up else None,
        "retained_wal_bytes": retained.as_dict(),
        "limits_bytes": limits,
    }
    name, limit = min(limits.items(), key=lambda item: item[1])
    if never:
        yield Finding(
            subject=f"snapshot:{snapshot.mode}",
            message=(
                "the consumer does not catch up after the snapshot at the expected rates: "
                f"the slot would hold WAL until {name} ({fmt_bytes(limit)}) is reached"
            ),
            evidence=evidence,
            fix=_fix(facts, ctx),
        )
        return
    if expected > limit:
        yield Finding(
            subject=f"snapshot:{snapshot.mode}",
            message=(
                f"the snapshot ({fmt_duration(seconds.expected)}) and catch-up hold "
                f"{fmt_bytes(expected)} of WAL, more than {name} ({fmt_bytes(limit)})"
            ),
            evidence=evidence,
            fix=_fix(facts, ctx),
        )
    elif high > limit:
        yield Finding(
            subject=f"snapshot:{snapshot.mode}",
            message=(
                f"at the high end the snapshot and catch-up hold "
                f"{'unbounded WAL' if math.isinf(high) else fmt_bytes(high)}, more than "
                f"{name} ({fmt_bytes(limit)}); expected {fmt_bytes(expected)}"
            ),
            evidence=evidence,
            fix=_fix(facts, ctx),
            severity=Severity.MEDIUM,
        )


def _fix(facts: Facts, ctx: RuleContext) -> Fix:
    return Fix.of(
        *keep_size_steps(facts, ctx),
        note(
            "it must fit on disk; or use an incremental snapshot (Debezium: "
            "snapshot.mode=no_data, then a signal)"
        ),
    )
