"""The history store: every run's report.json and facts, per target, in SQLite or PostgreSQL.

:func:`open_store` takes what the user gave ``--history``: a ``postgresql://`` (or
``postgres://``) URL opens a shared PostgreSQL store, anything else is the path of an SQLite
file. Both create their tables on first use (:mod:`audit.history.schema`) and store a run at
most once (unique on report_id and target_id), so any number of processes and machines may
write at the same time.
"""

from __future__ import annotations

import gzip
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.history.schema import SCHEMA_VERSION

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class HistoryError(Exception):
    """The store cannot be used. ``usage``: the location is wrong (exit 2), else the store
    could not be reached or written (exit 3)."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class NewRun:
    """A run to store."""

    report_id: str
    target_id: str
    target_name: str
    profile: str
    run_at: datetime
    verdict: str
    counts: dict[str, int]
    labels: dict[str, str]
    tool_version: str
    facts_sha256: str
    report_json: bytes
    facts_json: bytes


@dataclass(frozen=True)
class StoredRun:
    """A run in the store, without its documents (see :meth:`HistoryStore.report`)."""

    id: int
    report_id: str
    target_id: str
    target_name: str
    profile: str
    run_at: datetime
    stored_at: datetime
    verdict: str
    counts: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    tool_version: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "report_id": self.report_id,
            "target_id": self.target_id,
            "target_name": self.target_name,
            "profile": self.profile,
            "run_at": self.run_at.isoformat(),
            "stored_at": self.stored_at.isoformat(),
            "verdict": self.verdict,
            "counts": self.counts,
            "labels": self.labels,
            "tool_version": self.tool_version,
        }


def compress(data: bytes) -> bytes:
    """gzip with no timestamp: the same document compresses to the same bytes."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def decompress(data: bytes) -> bytes:
    return gzip.decompress(data)


def utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive time is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class HistoryStore(ABC):
    """The operations both backends offer; all of them are safe from concurrent processes."""

    location: str
    schema_version: int = SCHEMA_VERSION

    @abstractmethod
    def add(self, run: NewRun) -> bool:
        """Store ``run``; False when it was stored before (same report_id and target)."""

    @abstractmethod
    def runs(self, target: str | None = None) -> list[StoredRun]:
        """Runs, newest first; ``target`` matches a target id or name."""

    @abstractmethod
    def previous(self, target_id: str, profile: str, before: datetime) -> StoredRun | None:
        """The latest run of ``target_id`` with ``profile`` collected before ``before``."""

    @abstractmethod
    def documents(self, run_id: int) -> tuple[bytes, bytes]:
        """The report.json and facts.json of a stored run, uncompressed."""

    @abstractmethod
    def prune(self, target_id: str, keep: timedelta) -> int:
        """Delete runs of ``target_id`` older than its newest run minus ``keep``; how many."""

    @abstractmethod
    def close(self) -> None: ...

    def report(self, run_id: int) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.documents(run_id)[0])
        return document

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_postgres(location: str) -> bool:
    return location.lower().startswith(POSTGRES_SCHEMES)


def open_store(location: str, *, create: bool = True) -> HistoryStore:
    """The store at ``location``; ``create=False`` refuses a missing SQLite file (a listing of
    a store that does not exist is a mistyped path, not an empty history)."""
    if is_postgres(location):
        from audit.history.postgres_store import PostgresStore

        return PostgresStore(location)
    if "://" in location:
        scheme = location.split("://", 1)[0]
        raise HistoryError(
            f"--history {scheme}://...: not a store; give a file path (SQLite) or a "
            "postgresql:// URL",
            usage=True,
        )
    from audit.history.sqlite_store import SqliteStore

    path = Path(location)
    if not create and not path.is_file():
        raise HistoryError(f"--history {location}: no such history file", usage=True)
    return SqliteStore(path)
