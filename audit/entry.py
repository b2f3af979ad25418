"""The ``cdc-preflight`` entry point: signals are handled before the program is loaded.

Loading the command line (typer, rich, pydantic, psycopg) takes a few hundred milliseconds; a
Ctrl-C or SIGTERM meanwhile ends the run with one line and exit 130 or 143, not a traceback.
"""

from __future__ import annotations

import os

from audit import interrupt


def main() -> None:
    interrupt.install()
    try:
        from audit.cli import main as run
    except BaseException:
        # a signal raises KeyboardInterrupt wherever the import is, and where that is inside
        # compiled code (pydantic-core building a validator) it comes out wrapped in another
        # error: whatever ends the import after a signal was received is that signal
        if interrupt.received() is None:
            raise
        interrupt.announce(f"interrupted by {interrupt.signal_name()} while starting")
        # nothing is open or written yet; a module half imported may have left state behind
        # that makes the interpreter's own shutdown re-raise the signal: exit at once
        os._exit(interrupt.exit_code())
    run()
