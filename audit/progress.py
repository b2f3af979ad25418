"""Progress for long stages: a bar on a terminal, plain lines otherwise.

Without a terminal, each stage prints one line, and a long stage (the sampling window) one
more every :data:`HEARTBEAT_SECONDS`, so a log shows the run is alive.
"""

from __future__ import annotations

import re
import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

_SAMPLES = re.compile(r"(\d+)/(\d+) samples")
HEARTBEAT_SECONDS = 10.0


class Progress:
    """Receives one message per stage or sample from the collector and shows it."""

    def __init__(self, total_seconds: float, stream_is_tty: bool | None = None) -> None:
        self.tty = sys.stderr.isatty() if stream_is_tty is None else stream_is_tty
        self.total = total_seconds
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        self._last_stage: str | None = None
        self._last_line = 0.0

    def __enter__(self) -> Progress:
        if self.tty:
            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("connecting", total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)

    def update(self, message: str, fraction: float | None = None) -> None:
        """Show ``message``; ``fraction`` (0..1, else read from "k/n samples") moves the bar."""
        if fraction is None and (match := _SAMPLES.search(message)):
            done, total = int(match.group(1)), int(match.group(2))
            fraction = done / total if total else None
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task,
                description=message,
                total=1.0 if fraction is not None else None,
                completed=fraction or 0.0,
            )
            return
        stage = message.split(":", 1)[0]
        now = time.monotonic()
        if (
            fraction is None
            or stage != self._last_stage
            or now - self._last_line >= HEARTBEAT_SECONDS
        ):
            print(f"cdc-preflight: {message}", file=sys.stderr, flush=True)
            self._last_line = now
        self._last_stage = stage
