"""Ctrl-C and SIGTERM: the first one interrupts, the second one ends the process at once.

The first SIGINT or SIGTERM raises :class:`KeyboardInterrupt` where the program is, so the
sampler can end its window early and keep what it sampled, and every other stage can clean
up. A second signal does not wait for that: it runs the registered urgent clean-ups (stopping
the demo's throwaway server), says so in one line and exits. The exit code is 128 + the
signal number of the first signal: 130 for SIGINT, 143 for SIGTERM.

This module imports nothing heavy so that ``install()`` runs before the rest of the program
is loaded: a Ctrl-C during start-up ends the run with one line, not a traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: list[int] = []
_urgent: list[Callable[[], None]] = []
_announced: list[str] = []


def install() -> None:
    """Handle SIGINT and SIGTERM as described in the module documentation."""
    for signum in SIGNALS:
        signal.signal(signum, _handle)


def received() -> int | None:
    """The first signal received, if any."""
    return _received[0] if _received else None


def exit_code() -> int:
    """128 + the first signal's number (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + (received() or signal.SIGINT)


def signal_name() -> str:
    return signal.Signals(received() or signal.SIGINT).name


def on_second_signal(cleanup: Callable[[], None]) -> Callable[[], None]:
    """Run ``cleanup`` before exiting on a second signal; returns a function that unregisters it."""
    _urgent.append(cleanup)

    def unregister() -> None:
        if cleanup in _urgent:
            _urgent.remove(cleanup)

    return unregister


def say(message: str) -> None:
    """One line on stderr, written without Python's buffered streams (safe in a handler)."""
    with contextlib.suppress(OSError, ValueError):
        os.write(sys.stderr.fileno(), f"cdc-preflight: {message}\n".encode())


def announce(message: str) -> None:
    """Say once that (and how) the run was interrupted; :func:`announced` is then true."""
    _announced.append(message)
    say(message)


def announced() -> bool:
    return bool(_announced)


def _handle(signum: int, frame: FrameType | None) -> None:
    if _received:
        say(f"{signal.Signals(signum).name} again: stopping now")
        for cleanup in list(_urgent):
            with contextlib.suppress(Exception):  # exiting anyway
                cleanup()
        os._exit(exit_code())
    _received.append(signum)
    raise KeyboardInterrupt
