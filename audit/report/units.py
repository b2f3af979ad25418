"""Numbers for people: bytes, rates, durations and shares, with their units.

Every figure in the HTML, PDF and Markdown goes through these, so the same number reads the
same everywhere. Binary prefixes (KiB, MiB) because PostgreSQL sizes are powers of two.
"""

from __future__ import annotations

import math

_BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def significant(value: float) -> str:
    """Three significant figures without exponent: ``287``, ``28.7``, ``2.87``, ``0.05``."""
    magnitude = abs(value)
    if magnitude >= 100 or magnitude == 0:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.2g}"


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
    """A duration in the unit a person would use: ``0.5 s``, ``18 s``, ``4.2 min``, ``2.5 h``."""
    if value is None:
        return "unknown"
    if not math.isfinite(value):
        return "never"
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
