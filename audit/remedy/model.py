"""The fix model: what a finding asks the reader to do, step by step."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator


class ChangeWindow(StrEnum):
    """When a step takes effect and what it disrupts; a change board schedules by it."""

    ONLINE = "online"  # any time: no restart, locks (if any) are brief
    RELOAD = "reload"  # a configuration reload (pg_reload_conf, an "immediate" parameter)
    COORDINATION = "coordination"  # a lock on a busy table, or what applications see changes
    RESTART = "restart"  # the server restarts (self-managed, RDS instance reboot)
    WRITER_REBOOT = "writer_reboot"  # Aurora: the writer instance reboots

    @property
    def label(self) -> str:
        """The window in words, for a table cell: ``writer reboot``."""
        return (
            "application coordination"
            if self is ChangeWindow.COORDINATION
            else self.replace("_", " ")
        )

    @property
    def rank(self) -> int:
        """Disruption: higher is more disruptive."""
        return _WINDOW_RANKS[self]


_WINDOW_RANKS = {window: i for i, window in enumerate(ChangeWindow)}


class StepKind(StrEnum):
    SQL = "sql"
    AWS_CLI = "aws_cli"
    SHELL = "shell"
    NOTE = "note"


class Step(BaseModel):
    """One thing to do, in one form, in one change window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: StepKind
    text: str = Field(description="the SQL, command or note, exactly as it is to be run or read")
    window: ChangeWindow = ChangeWindow.ONLINE
    facts: dict[str, Any] = Field(
        default_factory=dict, description="the facts this step was built from (names, values)"
    )
    comment: str | None = Field(
        default=None,
        description="a line for the reader beside the step (what it costs, what to check first); "
        "renderers print it as a comment",
    )
    restarts: str | None = Field(
        default=None,
        description="the instance this step restarts or reboots ('server' when self-managed): "
        "a plan runs one such step per instance, at the end of its window",
    )

    @property
    def has_placeholder(self) -> bool:
        """The text holds a ``<...>`` the reader must fill in before running it."""
        start = self.text.find("<")
        return start >= 0 and self.text.find(">", start) > start


def sql(text: str, window: ChangeWindow = ChangeWindow.ONLINE, **facts: Any) -> Step:
    return Step(kind=StepKind.SQL, text=text, window=window, facts=facts)


def note(text: str, window: ChangeWindow = ChangeWindow.ONLINE, **facts: Any) -> Step:
    return Step(kind=StepKind.NOTE, text=text, window=window, facts=facts)


def shell(text: str, window: ChangeWindow = ChangeWindow.ONLINE, **facts: Any) -> Step:
    return Step(kind=StepKind.SHELL, text=text, window=window, facts=facts)


class Fix(BaseModel):
    """The steps that resolve one finding, in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    steps: tuple[Step, ...] = Field(min_length=1)

    @classmethod
    def of(cls, *steps: Step) -> Fix:
        return cls(steps=steps)

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        """report.json carries ``window`` for readers; it is derived, so reading drops it."""
        if isinstance(data, dict) and "window" in data:
            return {k: v for k, v in data.items() if k != "window"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def window(self) -> ChangeWindow:
        """The most disruptive window among the steps."""
        return max((s.window for s in self.steps), key=lambda w: w.rank)

    def text(self) -> str:
        """The steps as one block of text (notes as comments), for a terminal or a card."""
        lines: list[str] = []
        prefix = "--" if any(s.kind is StepKind.SQL for s in self.steps) else "#"
        for step in self.steps:
            if step.kind is StepKind.NOTE:
                lines.extend(f"{prefix} {line}" for line in step.text.splitlines())
            else:
                lines.append(step.text)
            if step.comment:
                lines.append(f"{prefix} {step.comment}")
        return "\n".join(lines)

    def redacted(self, text: Callable[[str], str], facts: Callable[[Any], Any]) -> Fix:
        """The same fix with every step's text, comment and facts passed through the given
        redactions (credentials a setting's value may carry must not reach a report); the fix
        itself when they change nothing (a redaction gives back what it does not change)."""
        steps = tuple(_redacted_step(s, text, facts) for s in self.steps)
        if all(new is old for new, old in zip(steps, self.steps, strict=True)):
            return self
        return Fix(steps=steps)


def _redacted_step(step: Step, text: Callable[[str], str], facts: Callable[[Any], Any]) -> Step:
    update = {
        "text": text(step.text),
        "comment": text(step.comment) if step.comment is not None else None,
        "facts": facts(step.facts),
    }
    if all(value is getattr(step, name) for name, value in update.items()):
        return step
    return step.model_copy(update=update)
