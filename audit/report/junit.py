"""junit.xml: the audit as test results, for the test dashboards of CI systems.

One ``<testsuite>`` per report, named after its target; one ``<testcase>`` per
rule and subject, built from report.json's ``checks`` (every rule of the run and how it
ended) and ``findings``:

| check | test cases |
|---|---|
| passed | one per rule, passing (name ``passed``) |
| failed | one per finding: a ``<failure>`` at or above ``--fail-on``; below it, passing (*) |
| waived | one per finding, ``<skipped>`` with the waiver's reason |
| not evaluated | one per rule, ``<skipped>`` with the reason (unknown is not a pass) |
| error | one per rule, ``<error>``: the rule raised, a defect of cdc-preflight |

(*) with the finding in its ``<system-out>``, so nothing is hidden from the dashboard.

A waived finding of a rule whose other findings are not waived is skipped too. ``--fail-on
never`` makes no failure. The test case's ``classname`` is the rule's code and name (CI pages
group by it); its ``name`` is the subject. Verdict, profile, report id, target, collection
issues and labels are ``<properties>`` of the suite.

Text from the database (subjects, messages) is written by ElementTree, which escapes markup;
the characters XML 1.0 cannot hold at all (control characters) are written as ``\\xNN``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from xml.etree import ElementTree as ET

from audit.engine import Severity
from audit.report.model import DEFAULT_FAIL_ON, CheckStatus, Report, ReportFinding
from audit.report.view import target_label

SUITE_NAME = "cdc-preflight"
NEVER = "never"
# what XML 1.0 cannot hold: C0 controls but tab, newline, carriage return; lone surrogates;
# U+FFFE and U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def fail_on_of(report: Report) -> str:
    """The run's ``--fail-on``: a parameter of the report when it is not the default."""
    for parameter in report.parameters:
        if parameter.name == "fail_on":
            return str(parameter.value)
    return DEFAULT_FAIL_ON


def fails(finding: ReportFinding, fail_on: str) -> bool:
    """Whether ``finding`` is a failure under ``fail_on`` (as the exit code of ``audit``)."""
    if finding.waived or fail_on == NEVER:
        return False
    return finding.severity.at_least(Severity(fail_on))


def render_junit(report: Report) -> bytes:
    """junit.xml of ``report``, UTF-8 with an XML declaration; see the module doc."""
    fail_on = fail_on_of(report)
    suite = ET.Element("testsuite", name=_text(f"{SUITE_NAME}: {target_label(report)}"))
    suite.set("timestamp", report.generated_at.strftime("%Y-%m-%dT%H:%M:%S"))
    suite.set("hostname", _text(report.target.host or "localhost"))
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(report, fail_on):
        ET.SubElement(properties, "property", name=_text(name), value=_text(value))
    cases = list(_cases(report, fail_on))
    for case in cases:
        suite.append(case)
    counts = {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }
    for key, count in counts.items():
        suite.set(key, str(count))
    seconds = f"{report.collection_seconds or 0:.3f}"
    suite.set("time", seconds)
    suites = ET.Element("testsuites", name=SUITE_NAME, time=seconds)
    for key, count in counts.items():
        if key != "skipped":  # the JUnit schema has no skipped on <testsuites>
            suites.set(key, str(count))
    suites.append(suite)
    ET.indent(suites)
    body: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return body + b"\n"


def _properties(report: Report, fail_on: str) -> Iterator[tuple[str, str]]:
    yield "verdict", report.verdict.value
    yield "profile", report.profile
    yield "fail_on", fail_on
    yield "target", target_label(report)
    yield "report_id", report.report_id
    yield "tool_version", report.tool.version
    if report.interrupted is not None:
        yield "partial", "true: the collection was interrupted"
    for issue in report.collection_issues:
        yield f"collection_issue.{issue.get('family')}", str(issue.get("reason") or "")
    for key, value in sorted(report.labels.items()):
        yield f"label.{key}", value


def _cases(report: Report, fail_on: str) -> Iterator[ET.Element]:
    findings: dict[str, list[ReportFinding]] = defaultdict(list)
    for finding in report.findings:
        findings[finding.code].append(finding)
    reasons = {item.code: item.reason for item in report.not_evaluated}
    errors = {item.code: item for item in report.rule_errors}
    checks = {check.code: check for check in report.checks}
    codes = sorted({*checks, *findings, *reasons, *errors})
    for code in codes:
        check = checks.get(code)
        rule = check.rule if check is not None else code
        if code in errors:
            item = errors[code]
            case = _case(code, item.rule, "rule error")
            error = ET.SubElement(case, "error", type=_text(item.error_type))
            error.set("message", _text(item.message))
            error.text = _text(
                f"{code} raised {item.error_type}: {item.message}\n"
                "A defect of cdc-preflight, not of the database: please report it."
            )
            yield case
        if code in reasons:
            case = _case(code, rule, "not evaluated")
            ET.SubElement(case, "skipped", message=_text(f"not evaluated: {reasons[code]}"))
            yield case
        for finding in findings.get(code, []):
            yield _finding_case(finding, fail_on)
        if check is not None and check.status is CheckStatus.PASSED:
            yield _case(code, rule, "passed")


def _case(code: str, rule: str, name: str) -> ET.Element:
    return ET.Element("testcase", classname=_text(f"{code} {rule}"), name=_text(name), time="0")


def _finding_case(finding: ReportFinding, fail_on: str) -> ET.Element:
    case = _case(finding.code, finding.rule, finding.subject)
    summary = f"[{finding.severity.value}] {finding.message}"
    if finding.waived:
        reason = finding.waiver_reason or "waived"
        ET.SubElement(case, "skipped", message=_text(f"waived: {reason}"))
        return case
    if fails(finding, fail_on):
        failure = ET.SubElement(case, "failure", type=finding.severity.value)
        failure.set("message", _text(summary))
        failure.text = _text(_details(finding))
    else:
        out = ET.SubElement(case, "system-out")
        out.text = _text(f"below --fail-on {fail_on}: {_details(finding)}")
    return case


def _details(finding: ReportFinding) -> str:
    lines = [f"[{finding.severity.value}] {finding.title}", finding.message]
    if finding.fix is not None:
        lines.append("How to fix:")
        lines += [f"  {step.text}" for step in finding.fix.steps]
    lines += [f"See {reference}" for reference in finding.references[:3]]
    return "\n".join(lines)


def _text(value: str) -> str:
    """``value`` with the characters XML cannot hold written as ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
