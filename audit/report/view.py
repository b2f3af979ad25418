"""What the templates see: the report plus groupings and labels computed once, in Python.

Templates only loop and format. Grouping, ordering, the PDF's cap on findings and the words
that go with a verdict are decided here, where they can be tested.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from audit.engine import Severity
from audit.remedy import ChangeWindow, StepKind
from audit.report.capacity import build_capacity, window_basis
from audit.report.environment import when
from audit.report.matrix import HTML_TABLES, PDF_TABLES, setting_rows, table_matrix
from audit.report.model import Report, ReportFinding, Verdict
from audit.report.remediation import Action, Plan, Step, build_plan
from audit.report.series import SampleWindow
from audit.report.trends import build_trends_view
from audit.units import fmt_seconds

Medium = Literal["html", "pdf"]

DEFAULT_TITLE = "CDC readiness report"

#: Findings beyond this many are left out of the PDF (layout time grows linearly with them);
#: the PDF says how many, of which severity, and where they are.
PDF_FINDINGS_CAP = 200

#: Characters of the target shown in the PDF's running header.
HEADER_LIMIT = 84

#: Characters of the title shown in the PDF's running footer.
FOOTER_LIMIT = 60

#: Critical and high findings listed in the Markdown summary before "and N more".
MD_TABLE_CAP = 50

#: Findings of one rule the PDF shows in full; the rest of that rule's findings are one table
#: row each (subject, message, fix), so a rule that fires on hundreds of tables stays legible.
PDF_FULL_PER_RULE = 5

#: Subjects shown per remediation step; remediation.sql always has all of them.
STEP_ACTIONS_CAP: dict[str, int] = {"pdf": 10, "html": 200}

#: Characters of one evidence value before it is summarised ("… 120 items").
EVIDENCE_CHARS: dict[str, int] = {"pdf": 240, "html": 4000}

#: Blockers (unwaived critical findings) named on the cover before "and N more".
COVER_BLOCKERS = 3

#: Characters of a blocker's message on the cover.
BLOCKER_CHARS = 80

#: The decisions a change board takes on this report, and the one the verdict suggests.
DECISIONS = ("Go", "Go with conditions", "No-go")
SUGGESTED_DECISION = {
    Verdict.NOT_READY: "No-go",
    Verdict.READY_WITH_RISKS: "Go with conditions",
    Verdict.READY: "Go",
}

VERDICT_WORDS = {
    Verdict.NOT_READY: "NOT READY",
    Verdict.READY_WITH_RISKS: "READY WITH RISKS",
    Verdict.READY: "READY",
}

SEVERITY_LABELS = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}


@dataclass(frozen=True)
class RuleGroup:
    """The findings of one rule at one severity: the rule's text is shown once."""

    code: str
    rule: str
    title: str
    why: str
    references: list[str]
    findings: list[ReportFinding]
    brief: list[ReportFinding] = field(default_factory=list)


@dataclass(frozen=True)
class SeverityGroup:
    severity: str
    label: str
    count: int
    rules: list[RuleGroup]


@dataclass(frozen=True)
class CountRow:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class SummaryRow:
    """One rule at one severity, with how many unwaived findings it has."""

    severity: str
    label: str
    code: str
    title: str
    count: int


@dataclass(frozen=True)
class Omitted:
    """Findings the PDF leaves out, by severity."""

    total: int
    by_severity: list[CountRow]


@dataclass(frozen=True)
class Blocker:
    """An unwaived critical finding, in one line for the cover."""

    code: str
    subject: str
    line: str
    anchor: str


@dataclass(frozen=True)
class Blockers:
    shown: list[Blocker]
    more: int


@dataclass(frozen=True)
class Disruption:
    """What the remediation plan asks of a change board, counted from its steps' windows."""

    restarts: list[str]
    writer_reboots: list[str]
    coordinated_steps: int
    coordinated_subjects: int

    @property
    def any(self) -> bool:
        return bool(self.restarts or self.writer_reboots or self.coordinated_steps)


def blockers(report: Report, limit: int = COVER_BLOCKERS) -> Blockers:
    """The unwaived critical findings in report order, the first ``limit`` of them named."""
    critical = [f for f in report.findings if not f.waived and f.severity is Severity.CRITICAL]
    shown = [
        Blocker(
            f.code,
            f.subject,
            _clip(f.message.removeprefix(f.subject).lstrip(" :"), BLOCKER_CHARS),
            f"rule-critical-{f.code}",
        )
        for f in critical[:limit]
    ]
    return Blockers(shown, len(critical) - len(shown))


def disruption(plan: Plan) -> Disruption:
    """Restarts and writer reboots (one per instance, as the plan schedules them) and the
    steps that need the applications' owners, from the plan's change windows."""
    gathered = [s for w in plan.windows for s in w.restarts]
    coordinated = [s for s in plan.steps if s.window is ChangeWindow.COORDINATION]
    return Disruption(
        restarts=[s.restarts or "server" for s in gathered if s.window is ChangeWindow.RESTART],
        writer_reboots=[
            s.restarts or "writer" for s in gathered if s.window is ChangeWindow.WRITER_REBOOT
        ],
        coordinated_steps=len(coordinated),
        coordinated_subjects=sum(len(s.actions) for s in coordinated),
    )


def window_label(window: SampleWindow | None, basis: str | None = None) -> str | None:
    """``measured over 20 s from 2026-12-02 05:13 UTC (10 intervals)``: the basis of the
    rates, and how the window compares with the long-term load (``basis``) when it could."""
    if window is None:
        return None
    source = "CloudWatch, " if window.source == "cloudwatch" else ""
    intervals = _plural(window.intervals, "interval")
    label = (
        f"measured over {fmt_seconds(window.seconds)} from {when(window.started_at)} "
        f"({source}{intervals})"
    )
    return f"{label}; {basis}" if basis else label


def conditions(report: Report, plan: Plan, needs: Disruption) -> list[str]:
    """What a go depends on, in the order a change board would check it."""
    counts = report.counts
    items: list[str] = []
    if report.labels.get("simulated"):
        items.append("The facts are simulated: audit the real database before deciding.")
    if report.interrupted is not None:
        items.append("The collection was interrupted: audit again for a complete report.")
    critical = counts.get(Severity.CRITICAL.value, 0)
    if critical:
        items.append(f"Fix the {_plural(critical, 'blocker')} above and audit again.")
    risky = counts.get(Severity.HIGH.value, 0) + counts.get(Severity.MEDIUM.value, 0)
    if risky:
        items.append(f"Fix, waive or accept the {_plural(risky, 'high or medium finding')}.")
    reboots = len(needs.restarts) + len(needs.writer_reboots)
    if reboots:
        items.append(f"Schedule the restarts and reboots of the remediation plan ({reboots}).")
    if needs.coordinated_steps:
        items.append(
            f"Agree {_plural(needs.coordinated_steps, 'change')} with the owners of the "
            "applications and consumers."
        )
    if report.not_evaluated:
        items.append(
            f"{_plural(len(report.not_evaluated), 'check')} could not run: grant the access "
            "and audit again, or accept the unknown risk."
        )
    return items


def target_label(report: Report) -> str:
    """``host:port/dbname``, the way people name a database in a ticket."""
    target = report.target
    host = target.host or "local socket"
    port = f":{target.port}" if target.port is not None else ""
    dbname = f"/{target.dbname}" if target.dbname else ""
    return f"{host}{port}{dbname}"


def shorten(text: str, limit: int = HEADER_LIMIT) -> str:
    """``text`` cut in the middle to ``limit`` characters: both ends of a name say most."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return f"{text[:head]}…{text[len(text) - (limit - 1 - head) :]}"


def verdict_summary(report: Report) -> str:
    counts = report.counts
    active = sum(counts.get(s.value, 0) for s in Severity)
    unchecked = len(report.not_evaluated)
    if report.verdict is Verdict.NOT_READY:
        n = counts.get(Severity.CRITICAL.value, 0)
        text = f"{_plural(n, 'critical finding')} must be fixed before CDC can start."
    elif report.verdict is Verdict.READY_WITH_RISKS:
        n = counts.get(Severity.HIGH.value, 0) + counts.get(Severity.MEDIUM.value, 0)
        text = f"No blockers; {_plural(n, 'high or medium finding')} carry risk."
    elif active:
        text = f"No blockers or risks; {_plural(active, 'low or informational finding')}."
    elif counts.get("waived", 0):
        text = f"No unwaived findings; {_plural(counts['waived'], 'finding')} waived."
    else:
        text = "No findings."
    if unchecked:
        text += f" {_plural(unchecked, 'check')} could not be run: see “Could not check”."
    return text


def _severities_of(values: set[str]) -> list[tuple[str, str]]:
    """``(value, label)`` of the severities among ``values``, worst first: a filter's choices."""
    return [(s.value, SEVERITY_LABELS[s]) for s in Severity if s.value in values]


def _clip(text: str, limit: int) -> str:
    """The first line of ``text``, cut at a word to about ``limit`` characters."""
    line = text.splitlines()[0] if text else ""
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def group_findings(findings: list[ReportFinding]) -> list[SeverityGroup]:
    """Findings by severity (worst first), then by rule code, keeping the report's order."""
    by_severity: dict[Severity, dict[str, list[ReportFinding]]] = {s: {} for s in Severity}
    for finding in sorted(findings, key=lambda f: f.severity.rank):
        by_severity[finding.severity].setdefault(finding.code, []).append(finding)
    groups = []
    for severity, by_code in by_severity.items():
        if not by_code:
            continue
        rules = [
            RuleGroup(
                code=code,
                rule=items[0].rule,
                title=items[0].title,
                why=items[0].why,
                references=items[0].references,
                findings=items,
            )
            for code, items in sorted(by_code.items())
        ]
        groups.append(
            SeverityGroup(
                severity=severity.value,
                label=SEVERITY_LABELS[severity],
                count=sum(len(r.findings) for r in rules),
                rules=rules,
            )
        )
    return groups


def cap_findings(findings: list[ReportFinding], cap: int) -> tuple[list[ReportFinding], Omitted]:
    """The ``cap`` worst findings (unwaived before waived), and a count of the rest."""
    order = sorted(
        range(len(findings)), key=lambda i: (findings[i].waived, findings[i].severity.rank)
    )
    kept = set(order[:cap])
    tally = Counter(findings[i].severity for i in order[cap:])
    rows = [CountRow(s.value, SEVERITY_LABELS[s], tally[s]) for s in Severity if tally[s]]
    omitted = Omitted(total=len(findings) - len(kept), by_severity=rows)
    return [f for i, f in enumerate(findings) if i in kept], omitted


def brief_groups(group: SeverityGroup, full: int) -> SeverityGroup:
    """``group`` with each rule's findings past the first ``full`` moved to ``brief``."""
    rules = [
        replace(rg, findings=rg.findings[:full], brief=rg.findings[full:]) for rg in group.rules
    ]
    return replace(group, rules=rules)


@dataclass(frozen=True)
class StepView:
    """A remediation step with the subjects this medium shows."""

    step: Step
    actions: list[Action]
    more: int


def plan_view(report: Report, medium: Medium) -> dict[str, Any]:
    plan = build_plan(report)
    cap = STEP_ACTIONS_CAP[medium]
    windows = [
        (
            window,
            [StepView(s, s.actions[:cap], max(0, len(s.actions) - cap)) for s in window.steps],
        )
        for window in plan.windows
    ]
    aws = any(s.kind in (StepKind.AWS_CLI, StepKind.SHELL) for s in plan.fix_steps)
    return {"plan": plan, "windows": windows, "aws": aws}


def context(report: Report, medium: Medium) -> dict[str, Any]:
    """Everything the HTML/PDF templates use; the Markdown template uses a subset."""
    findings = report.findings
    omitted = Omitted(total=0, by_severity=[])
    if medium == "pdf":
        findings, omitted = cap_findings(findings, PDF_FINDINGS_CAP)
    active = [f for f in findings if not f.waived]
    waived = [f for f in findings if f.waived]
    counts = [
        CountRow(s.value, SEVERITY_LABELS[s], report.counts.get(s.value, 0)) for s in Severity
    ]
    groups = group_findings(active)
    if medium == "pdf":
        groups = [brief_groups(g, PDF_FULL_PER_RULE) for g in groups]
    summary = [
        SummaryRow(g.severity, g.label, rg.code, rg.title, len(rg.findings))
        for g in group_findings([f for f in report.findings if not f.waived])
        for rg in g.rules
    ]
    anchors = {f"rule-{g.severity}-{rg.code}" for g in groups for rg in g.rules}
    remediation = plan_view(report, medium)
    needs = disruption(remediation["plan"])
    matrix = table_matrix(report, PDF_TABLES if medium == "pdf" else HTML_TABLES, anchors)
    matrix_refs = [ref for row in matrix.rows for ref in row.findings]
    return {
        "report": report,
        "medium": medium,
        "title": report.title or DEFAULT_TITLE,
        "target_label": target_label(report),
        "header_label": shorten(target_label(report)),
        "footer_label": shorten(report.title or DEFAULT_TITLE, FOOTER_LIMIT),
        "verdict_word": VERDICT_WORDS[report.verdict],
        "verdict_summary": verdict_summary(report),
        "counts": counts,
        "waived_count": report.counts.get("waived", 0),
        "groups": groups,
        "summary": summary,
        "anchors": anchors,
        "waived": waived,
        "omitted": omitted,
        "simulated": report.labels.get("simulated"),
        "other_labels": {k: v for k, v in report.labels.items() if k != "simulated"},
        "md_findings": [
            f
            for f in report.findings
            if not f.waived and f.severity in (Severity.CRITICAL, Severity.HIGH)
        ],
        "md_table_cap": MD_TABLE_CAP,
        "capacity": build_capacity(report.estimates, report.series),
        "trends": build_trends_view(report.trends),
        "remediation": remediation,
        "blockers": blockers(report),
        "needs": needs,
        "window_label": window_label(report.series.window, window_basis(report.estimates)),
        "decisions": DECISIONS,
        "suggested_decision": SUGGESTED_DECISION[report.verdict],
        "conditions": conditions(report, remediation["plan"], needs),
        "matrix": matrix,
        "finding_severities": [(g.severity, g.label) for g in groups],
        "finding_codes": sorted({rg.code for g in groups for rg in g.rules}),
        "matrix_severities": _severities_of({ref.severity for ref in matrix_refs}),
        "matrix_codes": sorted({ref.code for ref in matrix_refs}),
        "settings": setting_rows(report, anchors),
        "inventory": report.inventory,
        "evidence_chars": EVIDENCE_CHARS[medium],
    }
