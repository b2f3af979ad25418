"""CDC015 track-counts-off: zero counters prove nothing."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc015_track_counts_off import track_counts_off as RULE
from tests.factories import facts, fix_text, run, settings


def test_pass_on() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_off() -> None:
    result = run(RULE, facts(settings=settings(track_counts="off")))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message == (
        "track_counts is off: row-change counters stay at zero and autovacuum does not run"
    )
    assert fix_text(finding) == "ALTER SYSTEM SET track_counts = on;\nSELECT pg_reload_conf();"


def test_edge_boolean_spellings() -> None:
    assert run(RULE, facts(settings=settings(track_counts="true"))).status is Status.PASS
    assert run(RULE, facts(settings=settings(track_counts="false"))).status is Status.FAIL


def test_not_evaluated_without_the_setting() -> None:
    assert run(RULE, facts(settings=settings(track_counts=None))).status is Status.NOT_EVALUATED
