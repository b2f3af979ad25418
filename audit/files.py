"""Writing output files so that a reader never sees half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    write_atomic_chunks(path, (data,))


def write_atomic_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """:func:`write_atomic` for a document made piece by piece: each chunk is written as it
    comes, and ``path`` appears (or is replaced) only once the last one is. An error while the
    chunks are made leaves ``path`` as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = hidden_beside(path)
    try:
        write_hidden(tmp, chunks)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def hidden_beside(path: Path) -> Path:
    """A new, empty temporary file beside ``path`` (``.<name>.*.tmp``), for
    :func:`write_hidden` and then ``os.replace`` into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def write_hidden(tmp: Path, chunks: Iterable[bytes]) -> None:
    """Fill the temporary file ``tmp`` with ``chunks``, on disk (fsync) and readable by all,
    ready to be renamed into place."""
    with tmp.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o644)


def check_writable(path: Path) -> None:
    """Raise OSError now if a file cannot be created beside ``path`` (before any work)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".check", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
