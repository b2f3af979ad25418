"""The rule engine: rules, profiles, registry and evaluation."""

from audit.engine.evaluate import Evaluation, RuleResult, Status, evaluate, run_rule
from audit.engine.profile import PROFILES, Profile, get_profile
from audit.engine.registry import CatalogueError, all_rules, find_rule
from audit.engine.rule import (
    DOC_HEADINGS,
    ExpiredWaiver,
    Family,
    Finding,
    NotEvaluated,
    Rule,
    RuleContext,
    Severity,
    rule,
)

__all__ = [
    "DOC_HEADINGS",
    "PROFILES",
    "CatalogueError",
    "Evaluation",
    "ExpiredWaiver",
    "Family",
    "Finding",
    "NotEvaluated",
    "Profile",
    "Rule",
    "RuleContext",
    "RuleResult",
    "Severity",
    "Status",
    "all_rules",
    "evaluate",
    "find_rule",
    "get_profile",
    "rule",
    "run_rule",
]
