"""Setting values in their ``pg_settings`` units, and byte counts and durations for messages."""

from __future__ import annotations

import re

from audit.engine import NotEvaluated
from audit.facts import Facts, Setting

_BYTES = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0}
_UNIT = re.compile(r"^(\d*)\s*([A-Za-z]+)$")

KIB = 1024
MIB = 1024**2
GIB = 1024**3


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


def _scale(unit: str | None, table: dict[str, float] | dict[str, int], setting: Setting) -> float:
    if unit is None:
        raise NotEvaluated(f"setting {setting.name} has no unit")
    match = _UNIT.match(unit)
    if match is None or match.group(2) not in table:
        raise NotEvaluated(f"setting {setting.name} has an unknown unit {unit!r}")
    return int(match.group(1) or 1) * table[match.group(2)]


def as_bytes(setting: Setting) -> int:
    """A memory or size setting in bytes; negative sentinels (-1) are returned unchanged."""
    raw = as_int(setting)
    if raw < 0:
        return raw
    return int(raw * _scale(setting.unit, _BYTES, setting))


def as_milliseconds(setting: Setting) -> int:
    """A time setting in milliseconds; 0 and negative sentinels are returned unchanged."""
    raw = as_int(setting)
    if raw <= 0:
        return raw
    return int(raw * _scale(setting.unit, _MILLISECONDS, setting))


def is_on(setting: Setting) -> bool:
    return setting.value.strip().lower() in {"on", "true", "yes", "1"}


def fmt_bytes(count: int | float) -> str:
    """``1536`` -> ``1.5 KiB``: binary units, at most one decimal."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            text = f"{value:.1f}".removesuffix(".0") if unit != "B" else f"{int(value)}"
            return f"{text} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def fmt_duration(seconds: float) -> str:
    """``5400`` -> ``1.5 h``: the largest unit that keeps the number at least 1."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def fmt_count(count: int | float) -> str:
    """``1234567`` -> ``1,234,567``."""
    return f"{int(count):,}"


def pending_int(setting: Setting) -> int | None:
    """The integer value staged for the next restart or reload, if any."""
    value = (setting.pending_value or "").strip()
    return int(value) if value.lstrip("-").isdigit() else None
