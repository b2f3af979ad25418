"""Typed estimates for rule tests: the estimates of the default facts with some parts replaced.

A test names only the figures it is about (as report.json spells them); everything else comes
from ``estimate_all`` on ``tests.factories.facts()``, and the result is validated, so a part
that does not match the typed model fails the test instead of being ignored.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from audit.engine import get_profile
from audit.estimate import estimate_all
from audit.estimate.model import Estimates
from tests.factories import facts

#: Keys whose value replaces the default outright instead of being merged into it.
REPLACED = {"limits", "per_table", "changes", "components"}


@cache
def _default() -> Estimates:
    return estimate_all(facts(), get_profile("debezium"))


def _merge(base: dict[str, Any], parts: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in parts.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in REPLACED:
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def estimates_with(**parts: dict[str, Any]) -> Estimates:
    """The default facts' estimates with ``parts`` (e.g. ``runway={...}``) merged in."""
    return Estimates.model_validate(_merge(_default().model_dump(), parts))
