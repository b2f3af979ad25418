"""CDC018: WAL archiving fails or lags, so WAL piles up whatever the slots confirm."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

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
from audit.facts import Facts
from audit.facts.lsn import parse_lsn
from audit.facts.models import Archiver
from audit.remedy import Fix, Step, note
from rules._units import GIB, as_bytes, fmt_bytes

# TTTTTTTT XXXXXXXX YYYYYYYY: timeline, then the segment number as high and low 32 bits; a
# backup label (.<offset>.backup) or a partial segment (.partial) names its segment the same way.
_SEGMENT_FILE = re.compile(
    r"^[0-9A-F]{8}([0-9A-F]{8})([0-9A-F]{8})(\.[0-9A-F]{8}\.backup|\.partial)?$"
)


class Options(RuleOptions):
    max_pending_bytes: int = option(
        1 * GIB,
        unit=Unit.BYTES,
        ge=0,
        description="WAL written since the last archived segment before archiving counts as "
        "lagging",
    )


@rule(
    code="CDC018",
    name="wal-archiving-failing",
    severity=Severity.HIGH,
    requires=("server", "settings", "archiver"),
    options=Options,
)
def wal_archiving_failing(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """WAL archiving fails or lags behind, so WAL piles up whatever the slots confirm.

    ## What it checks
    With `archive_mode` on (on a standby: `always`), the archiver's counters
    (`pg_stat_archiver`):

    - failing (high): `failed_count` > 0 and the last failure is later than the last success
      (or nothing was ever archived): the archiver is retrying the same file;
    - lagging (medium): the WAL written since the end of `last_archived_wal` (current WAL
      position minus that segment's end, from `wal_segment_size`) is at least 1 GiB (option
      `max_pending_bytes` under `[rules.CDC018]`).

    A failure followed by a success has recovered and passes. When archiving works but how
    far it is behind cannot be computed (no current WAL position), the rule is not evaluated.

    ## Why it matters for CDC
    The server removes a WAL segment only once it is archived, whatever the replication slots
    have confirmed. While `archive_command` (or `archive_library`) fails, every segment stays
    in `pg_wal`: the disk fills at the full WAL rate even with a healthy connector, so the
    runway the slot figures give (CDC503) is longer than the real one, and when the disk is
    full the server stops. `wal_level = logical` makes more WAL, so a lagging archiver falls
    further behind once CDC starts.

    ## How to fix
    Read the server log for the archiver's error (`archive command failed with exit
    code ...`), fix its cause (destination full or unreachable, permissions, credentials,
    a file that already exists in the archive), and watch `pg_stat_archiver` until
    `last_archived_time` moves again. A lagging archiver needs a faster destination or
    parallel archiving (pgBackRest / WAL-G async). On RDS, archiving is AWS's: open a
    support case.

    ## References
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ARCHIVER-VIEW
    - https://www.postgresql.org/docs/current/continuous-archiving.html#BACKUP-ARCHIVING-WAL
    - https://www.postgresql.org/docs/current/wal-configuration.html
    - https://github.com/jobinau/pg_gather
    """
    assert facts.server is not None
    assert facts.archiver is not None
    mode = facts.setting("archive_mode")
    if mode is None:
        raise NotEvaluated("setting archive_mode was not collected")
    archiving = mode.value == "always" or (mode.value == "on" and not facts.server.in_recovery)
    if not archiving:
        return
    archiver = facts.archiver
    evidence: dict[str, Any] = {"archive_mode": mode.value, **_archiver_evidence(archiver)}
    if _failing(archiver):
        last = archiver.last_failed_wal or "a WAL file"
        since = (
            f"; the last success was {archiver.last_archived_wal} at "
            f"{archiver.last_archived_time:%Y-%m-%d %H:%M} UTC"
            if archiver.last_archived_time is not None
            else "; nothing was ever archived"
        )
        yield Finding(
            subject="archiver:failing",
            message=(
                f"WAL archiving fails: {last} failed at "
                f"{archiver.last_failed_time:%Y-%m-%d %H:%M} UTC, "
                f"{archiver.failed_count} failure(s) since the statistics reset{since}; WAL "
                "stays on disk until it is archived"
            ),
            evidence=evidence,
            fix=_fix(facts),
        )
        return
    if archiver.last_archived_wal is None:
        return  # nothing to archive yet
    pending = _pending_bytes(facts, archiver.last_archived_wal)
    limit = ctx.options_for(Options).max_pending_bytes
    if pending >= limit:
        yield Finding(
            subject="archiver:lagging",
            message=(
                f"WAL archiving is {fmt_bytes(pending)} behind: the last archived file is "
                f"{archiver.last_archived_wal}; that WAL stays on disk until it is archived"
            ),
            evidence={**evidence, "pending_bytes": pending, "max_pending_bytes": limit},
            fix=_fix(facts),
            severity=Severity.MEDIUM,
        )


def _failing(archiver: Archiver) -> bool:
    if not archiver.failed_count or archiver.last_failed_time is None:
        return False
    last_success = archiver.last_archived_time
    return last_success is None or archiver.last_failed_time > last_success


def _pending_bytes(facts: Facts, last_archived_wal: str) -> int:
    """WAL written after the end of the last archived segment."""
    match = _SEGMENT_FILE.match(last_archived_wal)
    segment = facts.setting("wal_segment_size")
    if match is None or segment is None or facts.current_wal_lsn is None:
        raise NotEvaluated(
            "how far archiving is behind is unknown: it needs the current WAL position, "
            f"wal_segment_size and a segment file name (last archived: {last_archived_wal})"
        )
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    segment_bytes = as_bytes(segment)
    archived_end = (high << 32) + (low + 1) * segment_bytes
    return max(0, parse_lsn(facts.current_wal_lsn) - archived_end)


def _archiver_evidence(archiver: Archiver) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "archived_count": archiver.archived_count,
        "last_archived_wal": archiver.last_archived_wal,
        "last_archived_time": iso(archiver.last_archived_time),
        "failed_count": archiver.failed_count,
        "last_failed_wal": archiver.last_failed_wal,
        "last_failed_time": iso(archiver.last_failed_time),
        "stats_reset": iso(archiver.stats_reset),
    }


def _fix(facts: Facts) -> Fix:
    assert facts.server is not None
    steps: list[Step] = []
    if facts.server.looks_managed:
        steps.append(note("archiving on RDS is managed by AWS: open a support case"))
    else:
        steps.append(
            note(
                "read the server log for the archiver's error (archive command failed ...), fix "
                "its cause (destination full or unreachable, permissions, credentials), then "
                "watch pg_stat_archiver.last_archived_time move again"
            )
        )
    return Fix(steps=tuple(steps))
