"""A fix that sets a server parameter to the audit's one recommended value."""

from __future__ import annotations

from audit.engine import NotEvaluated, RuleContext
from audit.facts import Facts
from audit.remedy import Fix
from audit.remedy.settings import set_recommended
from rules._estimates import recommended


def set_to_recommended(facts: Facts, ctx: RuleContext, name: str) -> Fix:
    """Set ``name`` to ``estimates.recommendations.setting(name)``: the value the recommended
    settings table, the remediation files and every other finding show."""
    found = recommended(facts, ctx, name)
    if found is None:
        raise NotEvaluated(f"no value for {name} could be recommended")
    return set_recommended(facts, found)
