"""The rule engine: rules, profiles, registry and evaluation."""

from audit.engine.evaluate import Evaluation, RuleError, RuleResult, Status, evaluate, run_rule
from audit.engine.options import OptionInfo, RuleOptions, Unit, describe_options, option
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
    known,
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
    "OptionInfo",
    "Profile",
    "Rule",
    "RuleContext",
    "RuleError",
    "RuleOptions",
    "RuleResult",
    "Severity",
    "Status",
    "Unit",
    "all_rules",
    "describe_options",
    "evaluate",
    "find_rule",
    "get_profile",
    "known",
    "option",
    "rule",
    "run_rule",
]
