"""Helpers of the fault tests: the CLI in a subprocess, watched line by line, and a table lock."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg

from audit.demo.localpg import LocalPostgres

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_FACTS = ROOT / "sample_outputs" / "demo" / "facts.json"
STAGE_PREFIX = "cdc-preflight: "


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180, **kw: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        **kw,
    )


def error_lines(stderr: str) -> list[str]:
    """The lines of stderr that are not stage lines of the progress display."""
    stages = {
        "connecting", "server", "settings", "tables", "slots", "publications", "role",
        "databases", "activity", "inventory", "replication connection", "sampling",
        "walinspect", "read probe", "done",
    }  # fmt: skip
    lines = [line for line in stderr.splitlines() if line.strip()]
    return [
        line
        for line in lines
        if line.removeprefix(STAGE_PREFIX) not in stages
        and not line.removeprefix(STAGE_PREFIX).startswith("sampling: ")
    ]


def assert_one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    errors = error_lines(stderr)
    assert len(errors) == 1, stderr
    assert errors[0].startswith(STAGE_PREFIX), stderr
    return errors[0]


class Running:
    """The CLI started in the background; its stderr is read as it comes."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "audit", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr_seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        """Wait until a stderr line contains ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.stderr_seen.append(line)
            if text in line:
                return
        raise AssertionError(f"{text!r} never appeared on stderr: {''.join(self.stderr_seen)}")

    def signal(self, signum: int = signal.SIGINT) -> None:
        self.proc.send_signal(signum)

    def finish(self, timeout: float = 120.0) -> tuple[int, str, str]:
        """Exit code, stdout and the whole stderr."""
        assert self.proc.stdout is not None
        stdout = self.proc.stdout.read()
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        while not self.lines.empty():
            self.stderr_seen.append(self.lines.get())
        return code, stdout, "".join(self.stderr_seen)


def make_shop(server: LocalPostgres, dbname: str) -> None:
    """A table with a primary key and rows: the read probe picks it."""
    with server.connect(dbname) as conn:
        conn.execute(
            "CREATE TABLE public.orders (id bigint PRIMARY KEY, note text);"
            "INSERT INTO public.orders SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g;"
            "ANALYZE public.orders"
        )


class TableLock:
    """Holds ACCESS EXCLUSIVE on a table: the read probe then waits for lock_timeout (1 s)."""

    def __init__(self, server: LocalPostgres, dbname: str, table: str = "public.orders") -> None:
        self.conn = psycopg.connect(server.conninfo(dbname))
        self.table = table

    def __enter__(self) -> TableLock:
        self.conn.execute(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.conn.rollback()
        self.conn.close()


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def newest_major() -> int:
    from audit.demo.localpg import available_majors

    majors = available_majors()
    return max(majors) if majors else 18
