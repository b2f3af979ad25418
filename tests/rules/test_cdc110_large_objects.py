"""CDC110 large-objects: pg_largeobject is never decoded."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc110_large_objects import large_objects as RULE
from tests.factories import facts, fix_text, run


def test_pass_no_large_objects() -> None:
    assert run(RULE, facts(large_objects=0)).status is Status.PASS


def test_fail_large_objects_present() -> None:
    result = run(RULE, facts(large_objects=1234))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message == (
        "the database holds 1,234 large object(s): their contents never reach the change stream"
    )
    assert finding.fix is not None
    assert "lo_get(" in fix_text(finding)
    assert "lo_unlink" not in fix_text(finding)  # the fix never deletes data


def test_edge_a_single_object_counts() -> None:
    assert run(RULE, facts(large_objects=1)).status is Status.FAIL


def test_not_evaluated_when_not_counted() -> None:
    assert run(RULE, facts(large_objects=None)).status is Status.NOT_EVALUATED
