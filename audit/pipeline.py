"""From facts to report: select the rules, run them, apply waivers. Never touches the network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from audit.config import AuditConfig, Waiver
from audit.engine import ExpiredWaiver, Profile, Rule, RuleContext, all_rules, evaluate
from audit.estimate import EstimateOptions, estimate_all
from audit.facts import Facts
from audit.report.model import Report, ReportFinding, build_report, counts_for, verdict_for
from audit.scope import apply_scope


@dataclass(frozen=True)
class DocumentInfo:
    """Who the report is for and by whom: shown on the cover and in the approval block."""

    title: str | None = None
    customer: str | None = None
    prepared_by: str | None = None


def selected_rules(profile: Profile, config: AuditConfig) -> list[Rule]:
    return [r for r in all_rules() if r.applies_to(profile.name) and config.selects(r)]


def analyze(
    facts: Facts,
    *,
    profile: Profile,
    config: AuditConfig,
    facts_sha256: str,
    today: date | None = None,
    document: DocumentInfo | None = None,
) -> Report:
    """Evaluate the facts; ``today`` decides which waivers have expired (default: facts date)."""
    facts, scope = apply_scope(facts, config.scope)
    rules = selected_rules(profile, config)
    estimates = estimate_all(facts, profile, EstimateOptions.model_validate(config.estimates))
    on = today or facts.collected_at.date()
    expired = tuple(
        ExpiredWaiver(w.rule, w.subject, w.reason, w.expires)
        for w in config.waivers
        if w.expires is not None and w.expired(on)
    )
    contexts = {
        r.code: RuleContext(
            profile=profile,
            options=config.options_for(r),
            estimates=estimates,
            expired_waivers=expired,
        )
        for r in rules
    }
    evaluation = evaluate(facts, rules, contexts)
    doc = document or DocumentInfo()
    report = build_report(
        facts,
        evaluation,
        profile,
        facts_sha256,
        rules_in_pack=len(all_rules()),
        estimates=estimates,
        title=doc.title,
        customer=doc.customer,
        prepared_by=doc.prepared_by,
    ).model_copy(update={"scope": scope.as_dict()})
    return apply_waivers(report, config.waivers, {r.code: r for r in rules}, on)


def apply_waivers(
    report: Report, waivers: list[Waiver], rules: dict[str, Rule], today: date
) -> Report:
    if not waivers:
        return report
    live = [w for w in waivers if not w.expired(today)]
    findings: list[ReportFinding] = []
    for finding in report.findings:
        rule = rules[finding.code]
        waiver = next((w for w in live if w.matches(rule, finding.subject)), None)
        if waiver is None:
            findings.append(finding)
        else:
            findings.append(
                finding.model_copy(update={"waived": True, "waiver_reason": waiver.reason})
            )
    return report.model_copy(
        update={
            "findings": findings,
            "counts": counts_for(findings),
            "verdict": verdict_for(findings),
        }
    )
