"""From facts to report: select the rules, run them, apply waivers. Never touches the network."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date

from audit.config import AuditConfig, ConfigError, Waiver
from audit.engine import (
    Evaluation,
    ExpiredWaiver,
    Profile,
    Rule,
    RuleContext,
    RuleResult,
    all_rules,
    evaluate,
)
from audit.estimate import Estimates, estimate_all
from audit.facts import Facts
from audit.gc_pause import paused_gc
from audit.parameters import audit_parameters
from audit.report.model import Report, RuleErrorItem, build_report
from audit.report.redact import scrub_text
from audit.scope import apply_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentInfo:
    """Who the report is for and by whom: shown on the cover and in the approval block."""

    title: str | None = None
    customer: str | None = None
    prepared_by: str | None = None
    change_ref: str | None = None


def selected_rules(profile: Profile, config: AuditConfig) -> list[Rule]:
    """The rules this run applies; ConfigError when select/ignore leave none for the profile."""
    rules = [r for r in all_rules() if r.applies_to(profile.name) and config.selects(r)]
    if not rules:
        raise ConfigError(
            f"{config.origin}: select = {config.select} and ignore = {config.ignore} leave no "
            f"rule for the {profile.name} profile"
        )
    return rules


@paused_gc()
def analyze(
    facts: Facts,
    *,
    profile: Profile,
    config: AuditConfig,
    facts_sha256: str,
    today: date | None = None,
    document: DocumentInfo | None = None,
    fail_on: str | None = None,
) -> Report:
    """Evaluate the facts; ``today`` decides which waivers have expired (default: facts date).

    Raises ConfigError (no rule selected) and ScopeError (the scope matches no table): both
    are usage errors."""
    rules = selected_rules(profile, config)
    facts, scope = apply_scope(facts, config.scope)
    estimates, estimate_error = _estimates(facts, profile, config)
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
            connector_role=config.connector.role,
        )
        for r in rules
    }
    evaluation = apply_waivers(evaluate(facts, rules, contexts), config.waivers, on)
    doc = document or DocumentInfo()
    report = build_report(
        facts,
        evaluation,
        profile,
        facts_sha256,
        rules_in_pack=len(all_rules()),
        estimates=estimates,
        parameters=audit_parameters(profile, config, fail_on),
        title=doc.title,
        customer=doc.customer,
        prepared_by=doc.prepared_by,
        change_ref=doc.change_ref,
    )
    update: dict[str, object] = {"scope": scope.as_dict()}
    if estimate_error is not None:
        update["rule_errors"] = [estimate_error, *report.rule_errors]
    return report.model_copy(update=update)


def _estimates(
    facts: Facts, profile: Profile, config: AuditConfig
) -> tuple[Estimates | None, RuleErrorItem | None]:
    """The capacity estimates; one that fails is a defect of the tool, listed with the rule
    errors, and the report goes on without the figures (rules that need them say so)."""
    try:
        return estimate_all(facts, profile, config.estimates), None
    except Exception as exc:
        log.warning(
            "capacity estimates failed (a defect of cdc-preflight): %s: %s",
            type(exc).__name__,
            exc,
        )
        log.debug("capacity estimates traceback", exc_info=True)
        return None, RuleErrorItem(
            code="ESTIMATES",
            rule="capacity-estimates",
            title="The capacity estimates could not be computed.",
            error_type=type(exc).__name__,
            message=scrub_text(str(exc)),
        )


def apply_waivers(evaluation: Evaluation, waivers: list[Waiver], today: date) -> Evaluation:
    """The evaluation with each finding a live waiver covers marked with the waiver's reason;
    expired waivers mark nothing (CDC016 reports them)."""
    live = [w for w in waivers if not w.expired(today)]
    if not live:
        return evaluation
    return Evaluation([_waive(result, live) for result in evaluation.results])


def _waive(result: RuleResult, waivers: list[Waiver]) -> RuleResult:
    findings = []
    for finding in result.findings:
        waiver = next((w for w in waivers if w.matches(result.rule, finding.subject)), None)
        waived = finding.model_copy(update={"waiver_reason": waiver.reason}) if waiver else None
        findings.append(waived or finding)
    return replace(result, findings=tuple(findings))
