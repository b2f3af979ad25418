"""The fix model: what a finding asks the reader to do, step by step."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChangeWindow(StrEnum):
    """What a step disrupts; a change board schedules by it."""

    ONLINE = "online"  # any time: no restart, locks (if any) are brief
    RELOAD = "reload"  # a configuration reload (pg_reload_conf, an "immediate" parameter)
    COORDINATION = "coordination"  # a lock on a busy table, or what applications see changes
    RESTART = "restart"  # the server restarts (self-managed, RDS instance reboot)
    WRITER_REBOOT = "writer_reboot"  # Aurora: the writer instance reboots

    @property
    def rank(self) -> int:
        """Disruption: higher is more disruptive."""
        return list(ChangeWindow).index(self)


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


class Fix(BaseModel):
    """The steps that resolve one finding, in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    steps: tuple[Step, ...]

    @property
    def window(self) -> ChangeWindow:
        """The most disruptive window among the steps."""
        return max(
            (s.window for s in self.steps), key=lambda w: w.rank, default=ChangeWindow.ONLINE
        )

    def text(self) -> str:
        """The steps as one block of text (notes as comments), for a terminal or a card."""
        lines: list[str] = []
        for step in self.steps:
            if step.kind is StepKind.NOTE:
                prefix = "--" if any(s.kind is StepKind.SQL for s in self.steps) else "#"
                lines.extend(f"{prefix} {line}" for line in step.text.splitlines())
            else:
                lines.append(step.text)
        return "\n".join(lines)
