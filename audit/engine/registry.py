"""Finding the rules of the rule pack and checking that the catalogue is consistent."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from audit.engine.rule import CODE_PATTERN, Rule


class CatalogueError(RuntimeError):
    """The rule pack is inconsistent (duplicate code, misnamed module, bad code)."""


def module_name_for(rule: Rule) -> str:
    return f"{rule.code.lower()}_{rule.name.replace('-', '_')}"


def _rules_in(module: ModuleType) -> list[Rule]:
    return [value for value in vars(module).values() if isinstance(value, Rule)]


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule in the ``rules`` package, ordered by code."""
    package = importlib.import_module("rules")
    found: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"rules.{info.name}")
        for rule in _rules_in(module):
            if not CODE_PATTERN.match(rule.code):
                raise CatalogueError(f"{info.name}: bad rule code {rule.code!r}")
            if rule.code in found:
                raise CatalogueError(f"{info.name}: rule code {rule.code} is used twice")
            if module_name_for(rule) != info.name:
                raise CatalogueError(
                    f"rules/{info.name}.py holds {rule.code} {rule.name}; "
                    f"name the module {module_name_for(rule)}.py"
                )
            found[rule.code] = rule
    return tuple(sorted(found.values(), key=lambda r: r.code))


def find_rule(code_or_name: str) -> Rule | None:
    key = code_or_name.strip()
    for rule in all_rules():
        if key.upper() == rule.code or key == rule.name:
            return rule
    return None
