"""How rules read the estimates: a dotted path to an ``ok`` estimate, or NotEvaluated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.engine.rule import NotEvaluated, RuleContext
from audit.facts import Facts


def estimates_for(facts: Facts, ctx: RuleContext) -> dict[str, Any]:
    """The estimates the pipeline put in the context, or computed here from the facts (the
    same pure function: a rule run on its own sees the same numbers as the report)."""
    if ctx.estimates:
        return ctx.estimates
    from audit.estimate import estimate_all

    return estimate_all(facts, ctx.profile)


def require_estimate(estimates: Mapping[str, Any], path: str) -> dict[str, Any]:
    """The estimate at ``path`` (``"wal.logical_overhead_ratio"``) when its status is ok."""
    node: Any = estimates
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise NotEvaluated(f"estimate {path} is missing")
        node = node[part]
    if not isinstance(node, Mapping):
        raise NotEvaluated(f"estimate {path} is not an estimate object")
    if node.get("status") != "ok":
        raise NotEvaluated(
            f"estimate {path} is unavailable: {node.get('reason', 'no reason given')}"
        )
    return dict(node)
