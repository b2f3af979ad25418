"""The shape every estimate takes: a number (or a low/expected/high range) beside its method,
its inputs and its assumptions, or ``unavailable`` with the reason.

Estimates are plain JSON: :func:`plain` turns numpy scalars and tuples into Python types and
rounds floats, so ``report.json`` never carries ``numpy.float64`` or ``NaN``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Range:
    """A low / expected / high triple; ``low <= expected <= high`` is kept by every operation."""

    low: float
    expected: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.expected <= self.high:
            raise ValueError(f"range out of order: {self.low}, {self.expected}, {self.high}")

    @classmethod
    def exact(cls, value: float) -> Range:
        return cls(value, value, value)

    @classmethod
    def spread(cls, expected: float, low_factor: float, high_factor: float) -> Range:
        """``expected``, with ``low = expected * low_factor`` and ``high = ... * high_factor``."""
        values = sorted((expected * low_factor, expected, expected * high_factor))
        return cls(values[0], values[1], values[2])

    def __add__(self, other: Range) -> Range:
        return Range(self.low + other.low, self.expected + other.expected, self.high + other.high)

    def scale(self, factor: float) -> Range:
        """Multiply by a non-negative constant."""
        if factor < 0:
            raise ValueError("a range is scaled by a non-negative factor only")
        return Range(self.low * factor, self.expected * factor, self.high * factor)

    def times(self, other: Range) -> Range:
        """Product of two non-negative ranges (low with low, high with high)."""
        return Range(self.low * other.low, self.expected * other.expected, self.high * other.high)

    def clamp_low(self, floor: float) -> Range:
        return Range(max(self.low, floor), max(self.expected, floor), max(self.high, floor))

    def as_dict(self) -> dict[str, float]:
        return {"low": self.low, "expected": self.expected, "high": self.high}


ZERO = Range.exact(0.0)


def ok(
    method: str,
    inputs: Mapping[str, Any],
    assumptions: list[str],
    **values: Any,
) -> dict[str, Any]:
    """An estimate that could be computed."""
    body: dict[str, Any] = {"status": "ok"}
    for key, value in values.items():
        body[key] = value.as_dict() if isinstance(value, Range) else value
    body.update(method=method, inputs=dict(inputs), assumptions=list(assumptions))
    return body


def unavailable(
    reason: str, method: str | None = None, inputs: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """An estimate that could not be computed, and why: never a made-up number."""
    return {
        "status": "unavailable",
        "reason": reason,
        "method": method,
        "inputs": dict(inputs or {}),
        "assumptions": [],
    }


def is_ok(estimate: Mapping[str, Any] | None) -> bool:
    return estimate is not None and estimate.get("status") == "ok"


def range_of(estimate: Mapping[str, Any], key: str) -> Range:
    """The range stored under ``key`` of an ``ok`` estimate."""
    value = estimate[key]
    return Range(float(value["low"]), float(value["expected"]), float(value["high"]))


def plain(value: Any, digits: int = 6) -> Any:
    """``value`` with only JSON types: floats rounded to ``digits`` significant digits."""
    if isinstance(value, Mapping):
        return {str(k): plain(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, digits) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if hasattr(value, "item"):  # numpy scalar
        return plain(value.item(), digits)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value == 0:
            return 0.0
        return float(f"{value:.{digits}g}")
    return value
