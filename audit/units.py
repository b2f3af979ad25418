"""Units in one place: setting values read in their ``pg_settings`` units, and numbers for people.

Every figure in the HTML, PDF, Markdown and in rule messages goes through the ``fmt_*``
functions, so the same number reads the same everywhere. Binary prefixes (KiB, MiB) because
PostgreSQL sizes are powers of two. Setting values are parsed here once, for the estimates and
the rules alike.
"""

from __future__ import annotations

import math
import re

from audit.facts import Setting

KIB = 1024
MIB = 1024**2
GIB = 1024**3
_SIZE_UNITS = {"B": 1, "kB": KIB, "MB": MIB, "GB": GIB, "TB": 1024**4}
_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0}
_UNIT = re.compile(r"^(\d*)\s*([A-Za-z]+)$")


def _unit_factor(unit: str | None, table: dict[str, float] | dict[str, int]) -> float | None:
    """``8kB`` -> 8192 for sizes; None when ``unit`` is not one of ``table``."""
    match = _UNIT.match(unit or "")
    if match is None or match.group(2) not in table:
        return None
    return int(match.group(1) or 1) * table[match.group(2)]


def setting_number(setting: Setting) -> int | None:
    """The raw value (``pg_settings.setting``, in the setting's base unit), or None."""
    try:
        return int(float(setting.value))
    except ValueError:
        return None


def size_bytes(value: str, unit: str | None) -> int | None:
    """A ``pg_settings`` value in a size unit (``16384`` in ``8kB``) in bytes; negative
    sentinels (-1) unchanged; None when the value is not a number or the unit not a size."""
    try:
        raw = int(float(value))
    except ValueError:
        return None
    if raw < 0:
        return raw
    factor = _unit_factor(unit, _SIZE_UNITS)
    return None if factor is None else int(raw * factor)


def setting_bytes(setting: Setting) -> int | None:
    """A size setting in bytes; negative sentinels (-1) unchanged; None when not a size."""
    return size_bytes(setting.value, setting.unit)


def setting_milliseconds(setting: Setting) -> int | None:
    """A time setting in milliseconds; 0 and negative sentinels unchanged; None when not a time."""
    raw = setting_number(setting)
    if raw is None or raw <= 0:
        return raw
    factor = _unit_factor(setting.unit, _TIME_UNITS_MS)
    return None if factor is None else int(raw * factor)


def size_setting(size_bytes: int) -> tuple[str, str]:
    """A size as ``postgresql.conf`` takes it (``'5GB'``, ``'512MB'``) and in megabytes, the
    base unit RDS and Aurora parameter groups take for ``max_slot_wal_keep_size``."""
    megabytes = math.ceil(size_bytes / MIB)
    if megabytes % 1024 == 0:
        return f"{megabytes // 1024}GB", str(megabytes)
    return f"{megabytes}MB", str(megabytes)


_BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def significant(value: float) -> str:
    """Three significant figures without exponent: ``287``, ``28.7``, ``2.87``, ``0.05``."""
    magnitude = abs(value)
    if magnitude >= 100 or magnitude == 0:
        return f"{value:,.0f}"
    if magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 1:
        text = f"{value:.2f}"
    else:
        return f"{value:.2g}"
    return text.rstrip("0").rstrip(".")


def fmt_bytes(value: float | None) -> str:
    if value is None:
        return "unknown"
    if not math.isfinite(value):
        return "unbounded"
    size = float(value)
    for unit in _BYTE_UNITS:
        if abs(size) < 1024 or unit == _BYTE_UNITS[-1]:
            if unit == "B":
                return f"{size:,.0f} B"
            return f"{significant(size)} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def fmt_rate(value: float | None) -> str:
    """Bytes per second."""
    text = fmt_bytes(value)
    return text if value is None or not math.isfinite(value) else f"{text}/s"


def fmt_per_second(value: float | None, noun: str = "") -> str:
    if value is None:
        return "unknown"
    suffix = f" {noun}/s" if noun else "/s"
    return f"{significant(value)}{suffix}"


def fmt_seconds(value: float | None) -> str:
    """A duration in the unit a person would use: ``< 1 ms``, ``780 ms``, ``18 s``,
    ``4.2 min``, ``2.5 h``; zero is ``0 s``."""
    if value is None:
        return "unknown"
    if not math.isfinite(value):
        return "never"
    if 0 < value < 0.001:
        return "< 1 ms"
    if 0 < value < 0.9995:  # 0.9996 s is "1 s", not "1,000 ms"
        return f"{significant(value * 1000)} ms"
    if value < 90:
        return f"{significant(value)} s"
    if value < 90 * 60:
        return f"{significant(value / 60)} min"
    if value < 48 * 3600:
        return f"{significant(value / 3600)} h"
    return f"{significant(value / 86400)} d"


def fmt_hours(value: float | None) -> str:
    return fmt_seconds(value * 3600 if value is not None else None)


def fmt_share(value: float | None) -> str:
    """A ratio as a percentage: ``0.0297`` -> ``3.0 %``."""
    if value is None:
        return "unknown"
    percent = value * 100
    if percent != 0 and abs(percent) < 0.1:
        return "<0.1 %"
    return f"{percent:.1f} %" if abs(percent) < 100 else f"{percent:,.0f} %"


def fmt_count(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:,.0f}"
