"""Rule options: each rule declares its ``[rules.CODE]`` table as a typed, bounded model.

A rule with options declares ``class Options(RuleOptions)`` with one :func:`option` per key
and passes it as ``@rule(..., options=Options)``; its check reads them with
``ctx.options_for(Options)``. The configuration validates every table against the model when
it loads, so a typo or a wrong type is a usage error, never a silently ignored line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast, get_args

from annotated_types import Ge, Le
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

TABLE_PATTERN = r"^[^.]+\.[^.]+$"


class Unit(StrEnum):
    """What an option's number counts; shown in docs, error messages and the report."""

    BYTES = "bytes"
    BYTES_PER_SECOND = "bytes per second"
    SECONDS = "seconds"
    HOURS = "hours"
    RATIO = "ratio"
    PERCENT = "percent"
    COUNT = "count"
    TRANSACTIONS = "transactions"
    NAME = "name"
    TABLE = "table"  # schema.table


def option(
    default: Any,
    *,
    unit: Unit,
    description: str,
    ge: float | None = None,
    le: float | None = None,
) -> Any:
    """A declared option: its default, unit, bounds and one line of documentation."""
    pattern = TABLE_PATTERN if unit is Unit.TABLE else None
    return Field(
        default,
        description=description,
        ge=ge,
        le=le,
        pattern=pattern,
        json_schema_extra={"unit": unit.value},
    )


class RuleOptions(BaseModel):
    """The options of a rule; the base class itself declares none (a rule without options).

    Strict: a TOML string is not a number, a float is not an integer, true is not 1.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


@dataclass(frozen=True)
class OptionInfo:
    """One declared option, as docs, ``rules explain`` and error messages describe it."""

    name: str
    kind: str
    unit: Unit
    default: Any
    minimum: float | None
    maximum: float | None
    description: str

    def expected(self) -> str:
        """What a value must be, e.g. ``an integer number of bytes``."""
        if self.kind == "integer":
            noun = {
                Unit.COUNT: "an integer",
                Unit.PERCENT: "an integer percentage",
            }.get(self.unit, f"an integer number of {self.unit.value}")
        elif self.kind == "number":
            noun = {
                Unit.RATIO: "a ratio (a number)",
                Unit.PERCENT: "a percentage",
                Unit.COUNT: "a number",
            }.get(self.unit, f"a number of {self.unit.value}")
        elif self.unit is Unit.TABLE:
            noun = "a table name as schema.table"
        else:
            noun = "a name (a string)"
        return noun

    def bounds(self) -> str:
        """``0 to 1``, ``at least 0`` or an empty string."""
        if self.minimum is not None and self.maximum is not None:
            return f"{_number(self.minimum)} to {_number(self.maximum)}"
        if self.minimum is not None:
            return f"at least {_number(self.minimum)}"
        if self.maximum is not None:
            return f"at most {_number(self.maximum)}"
        return ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.kind,
            "unit": self.unit.value,
            "default": self.default,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "description": self.description,
        }


def describe_options(model: type[RuleOptions]) -> list[OptionInfo]:
    """The declared options of ``model``, in declaration order."""
    return [_info(name, field) for name, field in model.model_fields.items()]


def _info(name: str, field: FieldInfo) -> OptionInfo:
    extra = field.json_schema_extra
    unit = Unit(str(extra["unit"])) if isinstance(extra, dict) and "unit" in extra else Unit.NAME
    minimum = maximum = None
    for bound in field.metadata:
        if isinstance(bound, Ge):
            minimum = float(cast(float, bound.ge))
        elif isinstance(bound, Le):
            maximum = float(cast(float, bound.le))
    return OptionInfo(
        name=name,
        kind=_kind(field.annotation),
        unit=unit,
        default=field.default,
        minimum=minimum,
        maximum=maximum,
        description=field.description or "",
    )


def _kind(annotation: Any) -> str:
    types = set(get_args(annotation)) or {annotation}
    types.discard(type(None))
    if types == {int}:
        return "integer"
    if types == {float}:
        return "number"
    return "string"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
