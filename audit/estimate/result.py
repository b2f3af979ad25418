"""The range every estimate is made of, and the rounding report.json applies to estimates.

:class:`Range` is a low / expected / high triple with ``low <= expected <= high``; the typed
estimates (:mod:`audit.estimate.model`) validate it from report.json and dump it as
``{low, expected, high}``. It is a standard-library dataclass (pydantic validates it as a field
and runs its validator and ``__post_init__``): the estimates build hundreds of thousands of
ranges on a large schema, and a pydantic dataclass would validate each one on construction.

:func:`plain` turns numpy scalars into Python types, rounds floats and writes a non-finite number
as ``null`` (JSON has no infinity); reading ``null`` back gives infinity, the only value that
produces it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import field_validator


@dataclass(frozen=True, slots=True)
class Range:
    """A low / expected / high triple; ``low <= expected <= high`` is kept by every operation."""

    low: float
    expected: float
    high: float

    @field_validator("low", "expected", "high", mode="before")
    @classmethod
    def _unbounded(cls, value: Any) -> Any:
        """``null`` in report.json is an unbounded end (infinity does not exist in JSON)."""
        return math.inf if value is None else value

    def __post_init__(self) -> None:
        if not type(self.low) is type(self.expected) is type(self.high) is float:
            for name in ("low", "expected", "high"):  # floats, as the validator would make them
                value = getattr(self, name)
                if type(value) is not float:
                    object.__setattr__(self, name, math.inf if value is None else float(value))
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


def plain(value: Any, digits: int = 6) -> Any:
    """``value`` with only JSON types: floats rounded to ``digits`` significant digits."""
    kind = type(value)  # the common exact types first (50,000 values on a large schema)
    if kind is dict:
        return {str(k): plain(v, digits) for k, v in value.items()}
    if kind is float:
        if not math.isfinite(value):
            return None
        if value == 0:
            return 0.0
        return float(f"{value:.{digits}g}")
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is list:
        return [plain(v, digits) for v in value]
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
