"""The report: the only thing renderers see. Everything in it is derived from the facts."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from audit import __version__
from audit.engine import Evaluation, Profile, RuleResult, Severity, Status
from audit.estimate.model import Estimates
from audit.facts import Facts
from audit.history.changes import Changes
from audit.history.trends import Trends
from audit.remedy import Fix
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
    """Where the audit connected and the platform there (:attr:`Facts.platform`)."""

    host: str | None
    port: int | None
    dbname: str | None
    user: str | None
    server_version: str | None = Field(description="major.minor the server runs")
    platform: str | None = Field(description="postgresql | rds-postgresql | aurora-postgresql")
    cluster: str | None = Field(default=None, description="Aurora DB cluster (AWS facts)")
    writer: str | None = Field(default=None, description="writer DB instance (AWS facts)")
    region: str | None = Field(default=None, description="AWS region (AWS facts)")
    version_mismatch: str | None = Field(
        default=None, description="the server's and the control plane's versions disagree"
    )


class ReportFinding(ReportModel):
    code: str
    rule: str
    title: str
    severity: Severity
    subject: str
    message: str
    evidence: dict[str, Any]
    fix: Fix | None
    waived: bool = False
    waiver_reason: str | None = None
    why: str
    references: list[str]


class NotEvaluatedItem(ReportModel):
    code: str
    rule: str
    title: str
    reason: str


class RuleErrorItem(ReportModel):
    """A rule that raised: a defect of cdc-preflight, to be reported to its maintainers."""

    code: str
    rule: str
    title: str
    error_type: str
    message: str


#: The severity at or above which a finding fails the run (exit 1) unless --fail-on says.
DEFAULT_FAIL_ON = "critical"


class Parameter(ReportModel):
    """A setting of this run that differs from its default."""

    name: str = Field(description="e.g. profile, scope.tables, rules.CDC204.min_retained_bytes")
    value: Any
    default: Any
    unit: str | None = Field(default=None, description="bytes, seconds, ratio, ... when known")


class CheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WAIVED = "waived"  # every finding of the rule is waived
    NOT_EVALUATED = "not_evaluated"
    ERROR = "error"


class Check(ReportModel):
    """One rule of this run and how it ended: a pass is stated, not implied by silence."""

    code: str
    rule: str
    title: str
    status: CheckStatus
    findings: int = Field(description="findings of the rule, waived ones included")
    examined: list[str] = Field(description="the fact families the rule read")


class Report(ReportModel):
    schema_version: int = REPORT_SCHEMA_VERSION
    tool: Tool
    report_id: str
    facts_sha256: str
    target: ReportTarget
    generated_at: datetime
    collection_seconds: float | None = Field(
        default=None,
        description="how long the collection took, from connecting to the last fact (facts)",
    )
    profile: str
    verdict: Verdict
    counts: dict[str, int]
    findings: list[ReportFinding]
    not_evaluated: list[NotEvaluatedItem]
    rule_errors: list[RuleErrorItem] = Field(
        default_factory=list, description="rules that raised: defects of the tool, not the server"
    )
    rules_evaluated: int
    checks: list[Check] = Field(
        default_factory=list, description="every rule of this run with its status, by code"
    )
    collection_issues: list[dict[str, str | None]]
    estimates: Estimates | None = Field(
        default=None, description="the capacity estimates (None: not estimated)"
    )
    labels: dict[str, str] = Field(default_factory=dict)
    scope: dict[str, Any] = Field(
        default_factory=dict,
        description="the capture scope the table rules judged: description, tables_in_scope, "
        "tables_total",
    )
    parameters: list[Parameter] = Field(
        default_factory=list, description="every setting of this run that differs from its default"
    )
    title: str | None = Field(default=None, description="document title (--title)")
    customer: str | None = Field(default=None, description="who the audit is for (--customer)")
    prepared_by: str | None = Field(default=None, description="author (--prepared-by)")
    change_ref: str | None = Field(
        default=None, description="the change request this report supports (--change-ref)"
    )
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
    changes: Changes | None = Field(
        default=None, description="what changed since the baseline (--baseline); else None"
    )
    trends: Trends | None = Field(
        default=None,
        description="the figures over this target's runs in --history, fitted and "
        "extrapolated; None without a history or with no earlier run",
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


def _check_status(result: RuleResult) -> CheckStatus:
    if result.error is not None:
        return CheckStatus.ERROR
    if result.status is Status.NOT_EVALUATED:
        return CheckStatus.NOT_EVALUATED
    if not result.findings:
        return CheckStatus.PASSED
    if all(f.waiver_reason is not None for f in result.findings):
        return CheckStatus.WAIVED
    return CheckStatus.FAILED


def build_report(
    facts: Facts,
    evaluation: Evaluation,
    profile: Profile,
    facts_sha256: str,
    rules_in_pack: int,
    estimates: Estimates | None = None,
    *,
    parameters: list[Parameter] | None = None,
    title: str | None = None,
    customer: str | None = None,
    prepared_by: str | None = None,
    change_ref: str | None = None,
) -> Report:
    findings: list[ReportFinding] = []
    not_evaluated: list[NotEvaluatedItem] = []
    rule_errors: list[RuleErrorItem] = []
    checks: list[Check] = []
    for result in evaluation.results:
        rule = result.rule
        checks.append(
            Check(
                code=rule.code,
                rule=rule.name,
                title=rule.title,
                status=_check_status(result),
                findings=len(result.findings),
                examined=list(rule.requires),
            )
        )
        why, references = rule.section("Why it matters for CDC"), rule.references()
        if result.error is not None:
            rule_errors.append(
                RuleErrorItem(
                    code=rule.code,
                    rule=rule.name,
                    title=rule.title,
                    error_type=result.error.type,
                    message=scrub_text(result.error.message),
                )
            )
            continue
        if result.status is Status.NOT_EVALUATED:
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
                    fix=finding.fix.redacted(scrub_text, scrub)
                    if finding.fix is not None
                    else None,
                    waived=finding.waiver_reason is not None,
                    waiver_reason=finding.waiver_reason,
                    why=why,
                    references=references,
                )
            )
    findings.sort(key=lambda f: (f.severity.rank, f.code, f.subject))
    counts = counts_for(findings)
    platform = facts.platform
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
            server_version=platform.version,
            platform=platform.engine,
            cluster=platform.cluster,
            writer=platform.writer,
            region=platform.region,
            version_mismatch=platform.version_mismatch,
        ),
        generated_at=facts.collected_at,
        collection_seconds=facts.collection_seconds,
        profile=profile.name,
        verdict=verdict_for(findings),
        counts=counts,
        findings=findings,
        not_evaluated=not_evaluated,
        rule_errors=rule_errors,
        rules_evaluated=len(evaluation.results),
        checks=sorted(checks, key=lambda c: c.code),
        collection_issues=[scrub(i.model_dump()) for i in facts.issues],
        estimates=estimates,
        labels=facts.labels,
        series=build_series(facts),
        inventory=build_inventory(facts, estimates),
        parameters=parameters or [],
        interrupted=interruption_of(facts),
        title=title,
        customer=customer,
        prepared_by=prepared_by,
        change_ref=change_ref,
    )
