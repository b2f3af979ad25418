"""Per-rule options from the configuration (``[rules.CDC201]``), with the rule's defaults."""

from __future__ import annotations

from audit.engine import RuleContext


def int_option(ctx: RuleContext, name: str, default: int) -> int:
    """``ctx.options[name]`` as an integer, or ``default``; a wrong type is a config error."""
    value = ctx.options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"option {name} must be a number, not {value!r}")
    return int(value)


def str_option(ctx: RuleContext, name: str, default: str | None = None) -> str | None:
    value = ctx.options.get(name, default)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"option {name} must be a string, not {value!r}")
    return value
