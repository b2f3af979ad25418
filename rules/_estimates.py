"""How rules read the estimates: typed figures, or NotEvaluated with the figure's reason."""

from __future__ import annotations

from typing import TypeVar

from audit.engine.rule import NotEvaluated, RuleContext
from audit.estimate import estimate_all
from audit.estimate.model import ConnectorPlan, Estimate, Estimates, SettingRecommendation
from audit.estimate.options import EstimateOptions
from audit.facts import Facts

E = TypeVar("E", bound=Estimate)
T = TypeVar("T")


def estimates_for(facts: Facts, ctx: RuleContext) -> Estimates:
    """The estimates the pipeline put in the context, or computed here from the facts with the
    default options (the same pure function: a rule run on its own sees the report's numbers)."""
    if ctx.estimates is not None:
        return ctx.estimates
    return estimate_all(facts, ctx.profile, EstimateOptions())


def require_estimate(estimate: E, name: str) -> E:
    """``estimate`` when its status is ok; NotEvaluated with its reason otherwise."""
    if not estimate.ok:
        raise NotEvaluated(f"estimate {name} is unavailable: {estimate.reason or 'no reason'}")
    return estimate


def require_value(value: T | None, name: str, why: str) -> T:
    """A figure of an ``ok`` estimate that may still be missing (e.g. no WAL rate)."""
    if value is None:
        raise NotEvaluated(f"estimate {name} has no value: {why}")
    return value


def recommended(facts: Facts, ctx: RuleContext, name: str) -> SettingRecommendation | None:
    """The audit's one recommended value for server parameter ``name``, when it makes one."""
    found = estimates_for(facts, ctx).recommendations.setting(name)
    return found if found is not None and found.ok and found.recommended is not None else None


def connector_plan(facts: Facts, ctx: RuleContext) -> ConnectorPlan:
    """The connectors the audit plans for (``[estimates] planned_connectors``, or the profile)."""
    return estimates_for(facts, ctx).recommendations.plan
