"""The base class of every fact row."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FactModel(BaseModel):
    """Immutable, and unknown keys are an error (typos in a facts file do not pass silently)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
