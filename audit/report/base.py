"""The base of every report model: frozen, and strict about unknown fields."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict


class ReportModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def rounded(value: float, digits: int = 6) -> float:
    """``value`` to ``digits`` significant digits, so report.json does not carry float noise."""
    if not math.isfinite(value) or value == 0:
        return 0.0 if value == 0 else value
    return float(f"{value:.{digits}g}")
