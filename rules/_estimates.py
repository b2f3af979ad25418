"""How rules read the estimates: typed figures, or NotEvaluated with the figure's reason."""

from __future__ import annotations

from typing import TypeVar

from audit.engine.rule import NotEvaluated, RuleContext
from audit.estimate import estimate_all
from audit.estimate.model import Estimate, Estimates
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
