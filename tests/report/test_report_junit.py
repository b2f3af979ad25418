"""junit.xml: one test case per rule and subject, read back with junitparser."""

from __future__ import annotations

from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite
from report_factory import HOSTILE, build, finding, realistic_findings

from audit.report.junit import render_junit
from audit.report.model import Check, CheckStatus, Parameter, Report, RuleErrorItem
from audit.report.write import write_reports

PASSED = {"CDC003": "wal-sender-headroom", "CDC004": "settings-pending-restart"}


def with_checks(report: Report, errors: tuple[RuleErrorItem, ...] = ()) -> Report:
    """``report`` with the checks list build_report makes: one per rule, with its status."""
    checks = [
        Check(code=code, rule=rule, title=rule, status=CheckStatus.PASSED, findings=0, examined=[])
        for code, rule in PASSED.items()
    ]
    by_code: dict[str, list[bool]] = {}
    for f in report.findings:
        by_code.setdefault(f.code, []).append(f.waived)
    for code, waived in by_code.items():
        rule = next(f.rule for f in report.findings if f.code == code)
        status = CheckStatus.WAIVED if all(waived) else CheckStatus.FAILED
        checks.append(
            Check(
                code=code, rule=rule, title=rule, status=status, findings=len(waived), examined=[]
            )
        )
    for item in report.not_evaluated:
        checks.append(
            Check(
                code=item.code,
                rule=item.rule,
                title=item.title,
                status=CheckStatus.NOT_EVALUATED,
                findings=0,
                examined=[],
            )
        )
    for error in errors:
        checks.append(
            Check(
                code=error.code,
                rule=error.rule,
                title=error.title,
                status=CheckStatus.ERROR,
                findings=0,
                examined=[],
            )
        )
    return report.model_copy(
        update={"checks": sorted(checks, key=lambda c: c.code), "rule_errors": list(errors)}
    )


def parse(report: Report, tmp_path: Path) -> TestSuite:
    path = tmp_path / "junit.xml"
    path.write_bytes(render_junit(report))
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    assert isinstance(suite, TestSuite)
    return suite


def outcome(case: TestCase) -> str:
    results = case.result
    if not results:
        return "passed"
    kinds = {type(r) for r in results}
    assert len(kinds) == 1
    return {Failure: "failure", Error: "error", Skipped: "skipped"}[kinds.pop()]


ERROR = RuleErrorItem(
    code="CDC205",
    rule="toast-update-volume",
    title="TOAST",
    error_type="ZeroDivisionError",
    message="division by zero",
)


def test_every_rule_and_subject_is_one_case_with_its_outcome(tmp_path: Path) -> None:
    findings = [
        finding("CDC001", "wal_level"),
        finding("CDC101", "public.orders"),
        finding("CDC101", "public.carts"),
        finding("CDC301", "old_slot"),
        finding("CDC203", "public.blobs"),
        finding("CDC102", "public.audit_log", waived=True, waiver_reason="append-only, CR-1182"),
    ]
    report = with_checks(build(findings), errors=(ERROR,))
    suite = parse(report, tmp_path)
    cases = {(c.classname, c.name): outcome(c) for c in suite}
    assert cases == {
        ("CDC001 wal-level-not-logical", "wal_level"): "failure",
        ("CDC101 table-without-replica-identity", "public.orders"): "failure",
        ("CDC101 table-without-replica-identity", "public.carts"): "failure",
        # high and low are below the default --fail-on critical: passing, with the finding
        ("CDC301 inactive-slot-retains-wal", "old_slot"): "passed",
        ("CDC203 toast-heavy-table", "public.blobs"): "passed",
        ("CDC102 replica-identity-full", "public.audit_log"): "skipped",
        ("CDC003 wal-sender-headroom", "passed"): "passed",
        ("CDC004 settings-pending-restart", "passed"): "passed",
        ("CDC302 slot-wal-status", "not evaluated"): "skipped",
        ("CDC501 aurora-parameter-status", "not evaluated"): "skipped",
        ("CDC205 toast-update-volume", "rule error"): "error",
    }
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (11, 3, 1, 3)
    by_name = {c.name: c for c in suite}
    below = by_name["old_slot"]
    assert "below --fail-on critical" in (below.system_out or "")
    assert "[high]" in (below.system_out or "")
    failure = by_name["wal_level"].result[0]
    assert failure.type == "critical"
    assert failure.message.startswith("[critical] wal_level has no primary key")
    assert "How to fix:" in (failure.text or "")
    assert "ALTER SYSTEM SET wal_level = logical;" in (failure.text or "")
    waived = by_name["public.audit_log"].result[0]
    assert waived.message == "waived: append-only, CR-1182"
    not_evaluated = by_name["not evaluated"].result[0]
    assert not_evaluated.message.startswith("not evaluated: ")
    error = by_name["rule error"].result[0]
    assert (error.type, error.message) == ("ZeroDivisionError", "division by zero")
    properties = {p.name: p.value for p in suite.properties()}
    assert properties["verdict"] == "not_ready"
    assert properties["fail_on"] == "critical"
    assert properties["label.scenario"] == "demo"
    assert properties["collection_issue.slots"] == "permission denied"


@pytest.mark.parametrize(
    ("fail_on", "failing"),
    [
        ("high", {"wal_level", "public.orders", "old_slot"}),
        ("low", {"wal_level", "public.orders", "old_slot", "public.blobs"}),
        ("never", set()),
    ],
)
def test_failures_follow_fail_on(tmp_path: Path, fail_on: str, failing: set[str]) -> None:
    findings = [
        finding("CDC001", "wal_level"),
        finding("CDC101", "public.orders"),
        finding("CDC301", "old_slot"),
        finding("CDC203", "public.blobs"),
        finding("CDC102", "public.audit_log", waived=True, waiver_reason="approved"),
    ]
    parameter = Parameter(name="fail_on", value=fail_on, default="critical")
    report = with_checks(build(findings, parameters=[parameter]))
    suite = parse(report, tmp_path)
    assert {c.name for c in suite if outcome(c) == "failure"} == failing
    assert suite.failures == len(failing)
    assert {c.name for c in suite if outcome(c) == "skipped"} >= {"public.audit_log"}


def test_hostile_names_and_control_characters_stay_text(tmp_path: Path) -> None:
    control = 'public."bell\x07 and nul\x00 and esc\x1b"'
    findings = [
        finding("CDC101", subject, message=f"{subject} <b>&</b> ]]> {control}")
        for subject in [*HOSTILE.values(), control]
    ]
    report = with_checks(build(findings, labels={"team": "a\x01b"}))
    suite = parse(report, tmp_path)
    names = {c.name for c in suite}
    assert set(HOSTILE.values()) <= names
    assert 'public."bell\\x07 and nul\\x00 and esc\\x1b"' in names
    messages = [c.result[0].message for c in suite if outcome(c) == "failure"]
    assert any("<b>&</b> ]]>" in m for m in messages)
    assert {p.name: p.value for p in suite.properties()}["label.team"] == "a\\x01b"


def test_a_report_without_checks_still_lists_findings_and_unknowns(tmp_path: Path) -> None:
    """report.json written before the checks list existed: what it holds is still shown."""
    report = build(realistic_findings(10))
    assert not report.checks
    suite = parse(report, tmp_path)
    assert suite.tests == len(report.findings) + len(report.not_evaluated)


def test_write_reports_writes_junit_xml_alone(tmp_path: Path) -> None:
    report = with_checks(build([finding("CDC001", "wal_level")]))
    paths = write_reports(report, tmp_path, ["junit"])
    assert paths == {"junit": tmp_path / "junit.xml"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml"]
    assert paths["junit"].read_bytes() == render_junit(report)
