"""The report: the only thing renderers see. Everything in it is derived from the facts."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from audit import __version__
from audit.engine import Evaluation, Profile, Severity, Status
from audit.facts import Facts
from audit.report.base import ReportModel
from audit.report.interruption import Interruption, interruption_of
from audit.report.inventory import Inventory, build_inventory
from audit.report.redact import scrub, scrub_text
from audit.report.series import Series, build_series

REPORT_SCHEMA_VERSION = 1


class Verdict(StrEnum):
    READY = "ready"
    READY_WITH_RISKS = "ready_with_risks"
    NOT_READY = "not_ready"


class Tool(ReportModel):
    name: str = "cdc-preflight"
    version: str = __version__
    rules: int = Field(description="rules in the pack")


class ReportTarget(ReportModel):
    host: str | None
    port: int | None
    dbname: str | None
    user: str | None
    server_version: str | None
    platform: str | None


class ReportFinding(ReportModel):
    code: str
    rule: str
    title: str
    severity: Severity
    subject: str
    message: str
    evidence: dict[str, Any]
    fix: str | None
    waived: bool = False
    waiver_reason: str | None = None
    why: str
    references: list[str]


class NotEvaluatedItem(ReportModel):
    code: str
    rule: str
    title: str
    reason: str


class Report(ReportModel):
    schema_version: int = REPORT_SCHEMA_VERSION
    tool: Tool
    report_id: str
    facts_sha256: str
    target: ReportTarget
    generated_at: datetime
    profile: str
    verdict: Verdict
    counts: dict[str, int]
    findings: list[ReportFinding]
    not_evaluated: list[NotEvaluatedItem]
    rules_evaluated: int
    collection_issues: list[dict[str, str | None]]
    estimates: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    scope: dict[str, Any] = Field(
        default_factory=dict,
        description="the capture scope the table rules judged: description, tables_in_scope, "
        "tables_total",
    )
    title: str | None = Field(default=None, description="document title (--title)")
    customer: str | None = Field(default=None, description="who the audit is for (--customer)")
    prepared_by: str | None = Field(default=None, description="author (--prepared-by)")
    series: Series = Field(
        default_factory=Series, description="per-interval rates of the sampling window (charts)"
    )
    inventory: Inventory = Field(
        default_factory=Inventory,
        description="tables, settings, slots, publications and AWS resources, from the facts",
    )
    interrupted: Interruption | None = Field(
        default=None,
        description="set when the collection was interrupted: the report is partial",
    )


def verdict_for(findings: list[ReportFinding]) -> Verdict:
    active = [f for f in findings if not f.waived]
    if any(f.severity is Severity.CRITICAL for f in active):
        return Verdict.NOT_READY
    if any(f.severity in (Severity.HIGH, Severity.MEDIUM) for f in active):
        return Verdict.READY_WITH_RISKS
    return Verdict.READY


def counts_for(findings: list[ReportFinding]) -> dict[str, int]:
    """Unwaived findings per severity, and the waived ones."""
    counts = {
        s.value: sum(1 for f in findings if f.severity is s and not f.waived) for s in Severity
    }
    counts["waived"] = sum(1 for f in findings if f.waived)
    return counts


def build_report(
    facts: Facts,
    evaluation: Evaluation,
    profile: Profile,
    facts_sha256: str,
    rules_in_pack: int,
    estimates: dict[str, Any] | None = None,
    *,
    title: str | None = None,
    customer: str | None = None,
    prepared_by: str | None = None,
) -> Report:
    findings: list[ReportFinding] = []
    not_evaluated: list[NotEvaluatedItem] = []
    for result in evaluation.results:
        rule = result.rule
        if result.status in (Status.NOT_EVALUATED, Status.ERROR):
            not_evaluated.append(
                NotEvaluatedItem(
                    code=rule.code,
                    rule=rule.name,
                    title=rule.title,
                    reason=scrub_text(result.reason or ""),
                )
            )
            continue
        for finding in result.findings:
            findings.append(
                ReportFinding(
                    code=rule.code,
                    rule=rule.name,
                    title=rule.title,
                    severity=result.severity_of(finding),
                    subject=finding.subject,
                    message=scrub_text(finding.message),
                    evidence=scrub(finding.evidence),
                    fix=scrub_text(finding.fix) if finding.fix is not None else None,
                    why=rule.section("Why it matters for CDC"),
                    references=rule.references(),
                )
            )
    findings.sort(key=lambda f: (f.severity.rank, f.code, f.subject))
    counts = counts_for(findings)
    server = facts.server
    report_id = hashlib.sha256(f"{facts_sha256}:{profile.name}:{__version__}".encode()).hexdigest()[
        :12
    ]
    return Report(
        tool=Tool(rules=rules_in_pack),
        report_id=report_id,
        facts_sha256=facts_sha256,
        target=ReportTarget(
            host=facts.target.host,
            port=facts.target.port,
            dbname=facts.target.dbname,
            user=facts.target.user,
            server_version=server.version if server else None,
            platform=server.platform if server else None,
        ),
        generated_at=facts.collected_at,
        profile=profile.name,
        verdict=verdict_for(findings),
        counts=counts,
        findings=findings,
        not_evaluated=not_evaluated,
        rules_evaluated=len(evaluation.results),
        collection_issues=[scrub(i.model_dump()) for i in facts.issues],
        estimates=estimates or {},
        labels=facts.labels,
        series=build_series(facts),
        inventory=build_inventory(facts, estimates),
        interrupted=interruption_of(facts),
        title=title,
        customer=customer,
        prepared_by=prepared_by,
    )
