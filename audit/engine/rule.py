"""What a rule is: metadata and docs beside one check function."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from audit.engine.options import RuleOptions
from audit.engine.profile import Profile
from audit.facts import Facts
from audit.remedy.model import Fix

if TYPE_CHECKING:
    from audit.estimate.model import Estimates

DOC_HEADINGS = ("What it checks", "Why it matters for CDC", "How to fix", "References")
CODE_PATTERN = re.compile(r"^CDC[0-9]{3}$")
T = TypeVar("T")


class Severity(StrEnum):
    """How bad a finding is; ordered from worst to mildest."""

    CRITICAL = "critical"  # CDC cannot start, or will fail or lose changes
    HIGH = "high"  # starts, but likely to stall or break in production
    MEDIUM = "medium"  # works, at a cost (WAL, latency, storage)
    LOW = "low"  # hygiene
    INFO = "info"  # context

    @property
    def rank(self) -> int:
        return _SEVERITY_RANKS[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank <= other.rank


_SEVERITY_RANKS = {severity: i for i, severity in enumerate(Severity)}  # sorts ask it often


class Family(StrEnum):
    """The hundreds digit of a rule code."""

    SETTINGS = "settings and server"
    TABLES = "tables and schema"
    SLOTS = "slots and WAL retention"
    ACCESS = "privileges, sessions and publications"
    AWS = "AWS control plane"
    CAPACITY = "capacity"

    @classmethod
    def of(cls, code: str) -> Family:
        return list(cls)[int(code[3])]


class Finding(BaseModel):
    """One problem with one subject, as a rule yields it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    fix: Fix | None = None
    severity: Severity | None = Field(
        default=None, description="overrides the rule's default severity, justified by evidence"
    )
    waiver_reason: str | None = Field(
        default=None,
        description="set by the pipeline when a waiver of the configuration accepts the finding",
    )


class NotEvaluated(Exception):
    """Raised by a check when a fact it needs is unknown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def known(facts: Facts, value: T | None, family: str) -> T:
    """``value``, or :class:`NotEvaluated` with the reason recorded for ``family``.

    What ``requires`` does for a whole fact family, for a part of one (``aws.metrics``).
    """
    if value is None:
        issue = facts.issue_for(family)
        raise NotEvaluated(issue.reason if issue else f"{family} was not collected")
    return value


@dataclass(frozen=True)
class ExpiredWaiver:
    """A waiver from the configuration whose expiry date has passed."""

    rule: str
    subject: str
    reason: str
    expires: date


OptionsT = TypeVar("OptionsT", bound=RuleOptions)


@dataclass(frozen=True)
class RuleContext:
    """What a check may read besides the facts."""

    profile: Profile
    options: RuleOptions = field(default_factory=RuleOptions)
    estimates: Estimates | None = None
    expired_waivers: tuple[ExpiredWaiver, ...] = ()
    connector_role: str | None = None  # [connector] role: the role the connector logs in as

    def options_for(self, model: type[OptionsT]) -> OptionsT:
        """The rule's validated options; its defaults when the context carries none."""
        if isinstance(self.options, model):
            return self.options
        if type(self.options) is RuleOptions:
            return model()
        raise TypeError(f"the context holds {type(self.options).__name__}, not {model.__name__}")


CheckFn = Callable[[Facts, RuleContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    title: str
    severity: Severity
    requires: tuple[str, ...]
    profiles: tuple[str, ...] | None
    doc: str
    check: CheckFn
    options: type[RuleOptions] = RuleOptions

    @property
    def family(self) -> Family:
        return Family.of(self.code)

    def section(self, heading: str) -> str:
        """The text under ``## heading`` in the rule's doc."""
        match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", self.doc, re.S | re.M)
        return match.group(1).strip() if match else ""

    def references(self) -> list[str]:
        return re.findall(r"https?://\S+", self.section("References"))

    def applies_to(self, profile: str) -> bool:
        return self.profiles is None or profile in self.profiles


def rule(
    *,
    code: str,
    name: str,
    severity: Severity,
    requires: tuple[str, ...],
    profiles: tuple[str, ...] | None = None,
    options: type[RuleOptions] = RuleOptions,
) -> Callable[[CheckFn], Rule]:
    """Turn a check function into a :class:`Rule`; its docstring is its documentation and
    ``options`` declares its ``[rules.CODE]`` table (see :mod:`audit.engine.options`)."""

    def wrap(fn: CheckFn) -> Rule:
        doc = inspect.cleandoc(fn.__doc__ or "")
        title = doc.splitlines()[0].strip() if doc else ""
        return Rule(code, name, title, severity, requires, profiles, doc, fn, options)

    return wrap
