"""One run per output directory, written whole or not at all.

A run takes a lock beside ``--out`` (``.<name>.lock``, fcntl) so that a second run into the
same directory is refused, makes a fresh directory beside it (``.<name>.new-*``) before it
connects anywhere (so an unwritable place fails first), writes facts.json and every report
file there, and only then swaps it in for the old set (the old directory is renamed aside
and removed). facts.json and report.json therefore always come from the same run.

When writing fails (a full disk), the old set stays as it was and the partial new set is
kept beside it under a visible name (``<name>.partial-<time>``); when the run is interrupted
while writing, the new set is removed. An interrupted collection that still produced a
report does not replace an earlier complete set: it goes beside it (``<name>.interrupted-
<time>``), see :meth:`OutputSet.commit`.

``--out`` must be a new directory, an empty one or one holding only files a run writes; any
other file in it is refused, so that the swap never removes something cdc-preflight did not
write.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

#: Every file name a run writes into ``--out``.
RUN_FILES = frozenset(
    {
        "facts.json",
        "report.json",
        "report.html",
        "report.pdf",
        "report.md",
        "tables.csv",
        "remediation.sql",
        "remediation-aws.sh",
        "junit.xml",
        "metrics.prom",
        "cdc-preflight.toml",
    }
)


class OutputError(Exception):
    """The output directory cannot be used or written; one line. ``usage``: the user's --out."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class OutputSet:
    """The staging directory of one run and the lock on its ``--out``; see the module doc."""

    def __init__(self, out: Path) -> None:
        self.out = Path(os.path.abspath(out))
        self.parent = self.out.parent
        self.name = self.out.name
        self._lock_fd: int | None = None
        self.staging: Path | None = None

    # ------------------------------------------------------------------ opening

    def open(self) -> OutputSet:
        """Check ``--out``, take the lock and create the staging directory."""
        self._check_target()
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {self.parent}: {_reason(exc)}") from None
        self._lock()
        self._remove_leftovers()
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.name}.new-", dir=self.parent))
        except OSError as exc:
            self.close()
            raise OutputError(f"cannot write into {self.parent}: {_reason(exc)}") from None
        return self

    def _check_target(self) -> None:
        if self.out.exists() and not self.out.is_dir():
            raise OutputError(f"--out {self.out} is not a directory", usage=True)
        if not self.out.is_dir():
            return
        try:
            foreign = sorted(p.name for p in self.out.iterdir() if p.name not in RUN_FILES)
        except OSError as exc:
            raise OutputError(f"cannot read {self.out}: {_reason(exc)}") from None
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise OutputError(
                f"--out {self.out} holds files cdc-preflight did not write ({shown}); "
                "choose a new or empty directory",
                usage=True,
            )

    def _lock(self) -> None:
        path = self.parent / f".{self.name}.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write into {self.parent}: {_reason(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise OutputError(
                f"another cdc-preflight run (pid {holder}) is writing to {self.out}; "
                f"wait for it or choose another --out (lock: {path})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _remove_leftovers(self) -> None:
        """Staging and old directories of runs that were killed (we hold the lock)."""
        for pattern in (f".{self.name}.new-*", f".{self.name}.old-*"):
            for path in self.parent.glob(pattern):
                shutil.rmtree(path, ignore_errors=True)

    # ------------------------------------------------------------------ closing

    def path(self, name: str) -> Path:
        """Where ``name`` is written during the run."""
        assert self.staging is not None, "open() first"
        return self.staging / name

    def final(self, written: Path) -> Path:
        """Where a file written into the staging directory ends up."""
        return self.out / written.name

    def holds_earlier_set(self) -> bool:
        return (self.out / "facts.json").exists()

    def commit(self, *, keep_earlier: bool = False) -> Path:
        """Swap the new set in for the old one and return where it now is.

        ``keep_earlier``: when ``--out`` already holds a set, leave it and move the new set
        beside it as ``<name>.interrupted-<time>`` instead (an interrupted run).
        """
        assert self.staging is not None, "open() first"
        staging, self.staging = self.staging, None
        os.chmod(staging, 0o755)
        try:
            if keep_earlier and self.holds_earlier_set():
                aside = self.parent / f"{self.name}.interrupted-{_stamp()}"
                os.rename(staging, aside)
                return aside
            if not self.out.exists():
                os.rename(staging, self.out)
                return self.out
            old = Path(tempfile.mkdtemp(prefix=f".{self.name}.old-", dir=self.parent))
            os.rename(self.out, old / self.name)
            try:
                os.rename(staging, self.out)
            except OSError:
                os.rename(old / self.name, self.out)
                raise
            shutil.rmtree(old, ignore_errors=True)
            return self.out
        except OSError as exc:
            self.staging = staging
            raise self.failed(exc) from None

    def failed(self, exc: OSError) -> OutputError:
        """Keep the partial new set under a visible name; the error says where it is."""
        if self.staging is None:
            return OutputError(f"cannot write the report: {_reason(exc)}")
        partial = self.parent / f"{self.name}.partial-{_stamp()}"
        try:
            os.rename(self.staging, partial)
        except OSError:
            partial = self.staging
        self.staging = None
        return OutputError(
            f"cannot write the report: {_reason(exc)}; {self.out} is unchanged, "
            f"the partial new set is in {partial}"
        )

    def discard(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def close(self) -> None:
        self.discard()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


@contextlib.contextmanager
def output_set(out: Path) -> Iterator[OutputSet]:
    """An open :class:`OutputSet`; a write error keeps the partial set aside (see the module
    doc), anything else (an interrupt, a usage error) discards it. ``--out`` is unchanged
    unless :meth:`OutputSet.commit` was called."""
    outputs = OutputSet(out).open()
    try:
        yield outputs
    except OSError as exc:
        raise outputs.failed(exc) from None
    finally:
        outputs.close()
