"""Setting values for rules: :mod:`audit.units` parses them, a rule gets NotEvaluated when it
cannot. Sizes and durations in messages use the report's formatters (one look everywhere)."""

from __future__ import annotations

from audit.engine import NotEvaluated
from audit.facts import Facts, Setting
from audit.units import GIB, KIB, MIB, fmt_bytes, fmt_count, setting_bytes, setting_milliseconds
from audit.units import fmt_seconds as fmt_duration

__all__ = [
    "GIB",
    "KIB",
    "MIB",
    "as_bytes",
    "as_int",
    "as_milliseconds",
    "fmt_bytes",
    "fmt_count",
    "fmt_duration",
    "is_on",
    "pending_int",
    "require_setting",
]


def require_setting(facts: Facts, name: str) -> Setting:
    """The setting, or NotEvaluated when it was not collected."""
    found = facts.setting(name)
    if found is None:
        raise NotEvaluated(f"setting {name} was not collected")
    return found


def as_int(setting: Setting) -> int:
    """The raw value as an integer (``pg_settings.setting``, in the setting's base unit)."""
    try:
        return int(float(setting.value))
    except ValueError:
        raise NotEvaluated(
            f"setting {setting.name} has a non-numeric value {setting.value!r}"
        ) from None


def as_bytes(setting: Setting) -> int:
    """A memory or size setting in bytes; negative sentinels (-1) are returned unchanged."""
    as_int(setting)
    value = setting_bytes(setting)
    if value is None:
        raise NotEvaluated(f"setting {setting.name} has an unknown unit {setting.unit!r}")
    return value


def as_milliseconds(setting: Setting) -> int:
    """A time setting in milliseconds; 0 and negative sentinels are returned unchanged."""
    as_int(setting)
    value = setting_milliseconds(setting)
    if value is None:
        raise NotEvaluated(f"setting {setting.name} has an unknown unit {setting.unit!r}")
    return value


def is_on(setting: Setting) -> bool:
    return setting.value.strip().lower() in {"on", "true", "yes", "1"}


def pending_int(setting: Setting) -> int | None:
    """The integer value staged for the next restart or reload, if any."""
    value = (setting.pending_value or "").strip()
    return int(value) if value.lstrip("-").isdigit() else None
