"""Running the rules over the facts: every rule ends as passed, failed or not evaluated."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from audit.engine.rule import Finding, NotEvaluated, Rule, RuleContext, Severity
from audit.facts import Facts

log = logging.getLogger(__name__)


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_EVALUATED = "not_evaluated"
    ERROR = "error"


@dataclass(frozen=True)
class RuleError:
    """A check that raised: a defect of the tool, not something the server hid."""

    type: str
    message: str


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    status: Status
    findings: tuple[Finding, ...] = ()
    reason: str | None = None
    error: RuleError | None = None

    def severity_of(self, finding: Finding) -> Severity:
        return finding.severity or self.rule.severity


@dataclass
class Evaluation:
    results: list[RuleResult] = field(default_factory=list)

    def by_code(self, code: str) -> RuleResult:
        return next(r for r in self.results if r.rule.code == code)


def missing_requirement(rule: Rule, facts: Facts) -> str | None:
    """Why the rule cannot run, or None when every fact family it needs was collected."""
    for family in rule.requires:
        if getattr(facts, family) is None:
            issue = facts.issue_for(family)
            return issue.reason if issue else f"{family} were not collected"
    return None


def run_rule(rule: Rule, facts: Facts, ctx: RuleContext) -> RuleResult:
    missing = missing_requirement(rule, facts)
    if missing is not None:
        return RuleResult(rule, Status.NOT_EVALUATED, reason=missing)
    try:
        findings = tuple(rule.check(facts, ctx))
    except NotEvaluated as exc:
        return RuleResult(rule, Status.NOT_EVALUATED, reason=exc.reason)
    except Exception as exc:  # a broken rule must not sink the report
        log.warning(
            "rule %s failed (a defect of cdc-preflight): %s: %s", rule.code, type(exc).__name__, exc
        )
        log.debug("rule %s traceback", rule.code, exc_info=True)
        error = RuleError(type(exc).__name__, str(exc))
        return RuleResult(rule, Status.ERROR, reason=f"{error.type}: {error.message}", error=error)
    return RuleResult(rule, Status.FAIL if findings else Status.PASS, findings)


def evaluate(
    facts: Facts, rules: Sequence[Rule], ctx_for: dict[str, RuleContext] | RuleContext
) -> Evaluation:
    """Run ``rules`` over ``facts``; ``ctx_for`` is one context or one per rule code."""
    evaluation = Evaluation()
    for rule in rules:
        ctx = ctx_for if isinstance(ctx_for, RuleContext) else ctx_for[rule.code]
        evaluation.results.append(run_rule(rule, facts, ctx))
    return evaluation
