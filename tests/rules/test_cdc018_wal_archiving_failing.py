"""CDC018 wal-archiving-failing: failed or lagging archiving keeps WAL on disk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from audit.engine import Severity, Status
from audit.facts import Facts
from audit.facts.models import Archiver
from rules.cdc018_wal_archiving_failing import wal_archiving_failing as RULE
from tests.factories import GIB, MIB, NOW, facts, fix_text, lsn, rds, run, server, settings

SEGMENT = 16 * MIB


def _archiving(
    mode: str = "on", current: int | None = 10 * GIB, in_recovery: bool = False, **counters: Any
) -> Facts:
    return facts(
        server=server(in_recovery=in_recovery),
        settings=settings(archive_mode=mode),
        archiver=Archiver(**counters),
        current_wal_lsn=lsn(current) if current is not None else None,
    )


def _segment_file(position: int) -> str:
    """The WAL file holding byte ``position`` on timeline 1."""
    number = position // SEGMENT
    per_id = 2**32 // SEGMENT
    return f"00000001{number // per_id:08X}{number % per_id:08X}"


def test_pass_archiving_keeps_up() -> None:
    # the segment just before the current one is archived
    result = run(
        RULE, _archiving(archived_count=600, last_archived_wal=_segment_file(10 * GIB - 1))
    )
    assert result.status is Status.PASS
    assert run(RULE, _archiving(mode="off", failed_count=5)).status is Status.PASS


def test_fail_archiving_fails_since_its_last_success() -> None:
    result = run(
        RULE,
        _archiving(
            archived_count=40,
            last_archived_wal="000000010000000000000027",
            last_archived_time=NOW - timedelta(hours=3),
            failed_count=1200,
            last_failed_wal="000000010000000000000028",
            last_failed_time=NOW - timedelta(seconds=20),
        ),
    )
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.subject == "archiver:failing"
    assert finding.message.startswith(
        "WAL archiving fails: 000000010000000000000028 failed at 2026-11-22 11:59 UTC, 1200 "
        "failure(s) since the statistics reset; the last success was 000000010000000000000027"
    )
    assert "server log" in fix_text(finding)


def test_fail_archiving_never_succeeded_on_rds() -> None:
    the_facts = _archiving(
        failed_count=3, last_failed_wal="000000010000000000000001", last_failed_time=NOW
    ).model_copy(update={"server": rds()})
    [finding] = run(RULE, the_facts).findings
    assert "nothing was ever archived" in finding.message
    assert "support case" in fix_text(finding)


def test_fail_archiving_lags() -> None:
    behind = _segment_file(8 * GIB)  # 2 GiB behind, minus the archived segment itself
    result = run(RULE, _archiving(last_archived_wal=behind, archived_count=500))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.evidence["pending_bytes"] == 2 * GIB - SEGMENT
    assert finding.message.startswith("WAL archiving is 1.98 GiB behind")
    relaxed = run(RULE, _archiving(last_archived_wal=behind), max_pending_bytes=4 * GIB)
    assert relaxed.status is Status.PASS


def test_edge_recovered_failure_standby_and_history_files() -> None:
    recovered = _archiving(
        last_archived_wal=_segment_file(10 * GIB - 1),
        last_archived_time=NOW,
        failed_count=2,
        last_failed_time=NOW - timedelta(minutes=5),
    )
    assert run(RULE, recovered).status is Status.PASS
    # a standby archives only with archive_mode = always
    standby_failing = {"failed_count": 9, "last_failed_time": NOW}
    assert run(RULE, _archiving(in_recovery=True, **standby_failing)).status is Status.PASS
    always = _archiving(mode="always", in_recovery=True, **standby_failing)
    assert run(RULE, always).status is Status.FAIL
    # a backup label names its segment
    label = f"{_segment_file(10 * GIB - 1)}.00000028.backup"
    assert run(RULE, _archiving(last_archived_wal=label)).status is Status.PASS
    # nothing archived yet, nothing failed: a fresh server
    assert run(RULE, _archiving()).status is Status.PASS


def test_not_evaluated_when_the_backlog_cannot_be_computed() -> None:
    unknown = run(RULE, _archiving(current=None, last_archived_wal=_segment_file(GIB)))
    assert unknown.status is Status.NOT_EVALUATED
    history = run(RULE, _archiving(last_archived_wal="00000002.history"))
    assert history.status is Status.NOT_EVALUATED
    assert run(RULE, facts(archiver=None)).status is Status.NOT_EVALUATED
    assert run(RULE, facts(settings=settings(archive_mode=None))).status is Status.NOT_EVALUATED
