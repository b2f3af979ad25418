"""The history in one SQLite file: the default for one machine.

Concurrency: the file is in WAL mode (readers never block the writer) with a busy timeout, and
every write is one ``BEGIN IMMEDIATE`` transaction, so parallel processes queue for the write
lock instead of failing; the unique (report_id, target_id) constraint with ``ON CONFLICT DO
NOTHING`` makes a repeated store a no-op. Times are ISO 8601 UTC text (they sort as times).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from audit.history.schema import MIGRATIONS, RUNS, SCHEMA_TABLE, SCHEMA_VERSION, migration_table
from audit.history.store import (
    HistoryError,
    HistoryStore,
    NewRun,
    StoredRun,
    compress,
    decompress,
    utc,
)

#: Milliseconds a writer waits for the write lock before giving up.
BUSY_TIMEOUT_MS = 60_000
_COLUMNS = (
    "id, report_id, target_id, target_name, profile, run_at, stored_at, verdict, counts, "
    "labels, tool_version"
)


def _time(value: datetime) -> str:
    return utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


class SqliteStore(HistoryStore):
    def __init__(self, path: Path) -> None:
        self.location = str(path)
        if not path.parent.is_dir():
            raise HistoryError(
                f"--history {path}: directory {path.parent} does not exist", usage=True
            )
        try:
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _wal_mode(self._db)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"--history {path}: {exc}", usage=_not_a_store(exc)) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; waits for the write lock (busy timeout)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as db:
            db.execute(migration_table("sqlite"))
            row = db.execute(f"SELECT max(version) FROM {SCHEMA_TABLE}").fetchone()
            current = row[0] or 0
            if current == 0:
                self._refuse_foreign(db)
            if current > SCHEMA_VERSION:
                raise HistoryError(
                    f"--history {self.location}: schema version {current} is newer than this "
                    f"cdc-preflight knows ({SCHEMA_VERSION}); upgrade cdc-preflight"
                )
            for version in sorted(v for v in MIGRATIONS if v > current):
                for statement in MIGRATIONS[version]["sqlite"]:
                    db.execute(statement)
                db.execute(
                    f"INSERT INTO {SCHEMA_TABLE} (version, applied_at) VALUES (?, ?)",
                    (version, _time(datetime.now().astimezone())),
                )

    def _refuse_foreign(self, db: sqlite3.Connection) -> None:
        """A database holding other tables is someone else's file, not a new history."""
        others = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name not in (SCHEMA_TABLE, RUNS) and not name.startswith("sqlite_")
        ]
        if others:
            raise HistoryError(
                f"--history {self.location}: an SQLite database with other tables "
                f"({', '.join(sorted(others)[:3])}), not a cdc-preflight history",
                usage=True,
            )

    def add(self, run: NewRun) -> bool:
        with self._write() as db:
            cursor = db.execute(
                f"""INSERT INTO {RUNS} (report_id, target_id, target_name, profile, run_at,
                    stored_at, verdict, counts, labels, tool_version, facts_sha256, report_gz,
                    facts_gz)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (report_id, target_id) DO NOTHING""",
                (
                    run.report_id,
                    run.target_id,
                    run.target_name,
                    run.profile,
                    _time(run.run_at),
                    _time(datetime.now().astimezone()),
                    run.verdict,
                    json.dumps(run.counts, sort_keys=True),
                    json.dumps(run.labels, sort_keys=True),
                    run.tool_version,
                    run.facts_sha256,
                    compress(run.report_json),
                    compress(run.facts_json),
                ),
            )
            return cursor.rowcount == 1

    def _stored(self, row: tuple[Any, ...]) -> StoredRun:
        return StoredRun(
            id=row[0],
            report_id=row[1],
            target_id=row[2],
            target_name=row[3],
            profile=row[4],
            run_at=_parse(row[5]),
            stored_at=_parse(row[6]),
            verdict=row[7],
            counts=json.loads(row[8]),
            labels=json.loads(row[9]),
            tool_version=row[10],
        )

    def runs(self, target: str | None = None) -> list[StoredRun]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM {RUNS} WHERE ? IS NULL OR target_id = ? OR target_name = ? "
            "ORDER BY run_at DESC, id DESC",
            (target, target, target),
        ).fetchall()
        return [self._stored(r) for r in rows]

    def previous(self, target_id: str, profile: str, before: datetime) -> StoredRun | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM {RUNS} WHERE target_id = ? AND profile = ? AND run_at < ? "
            "ORDER BY run_at DESC, id DESC LIMIT 1",
            (target_id, profile, _time(before)),
        ).fetchone()
        return self._stored(row) if row else None

    def documents(self, run_id: int) -> tuple[bytes, bytes]:
        row = self._db.execute(
            f"SELECT report_gz, facts_gz FROM {RUNS} WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise HistoryError(f"{self.location}: no run {run_id}")
        return decompress(row[0]), decompress(row[1])

    def prune(self, target_id: str, keep: timedelta) -> int:
        with self._write() as db:
            newest = db.execute(
                f"SELECT max(run_at) FROM {RUNS} WHERE target_id = ?", (target_id,)
            ).fetchone()[0]
            if newest is None:
                return 0
            cutoff = _time(_parse(newest) - keep)
            cursor = db.execute(
                f"DELETE FROM {RUNS} WHERE target_id = ? AND run_at < ?", (target_id, cutoff)
            )
            return cursor.rowcount

    def close(self) -> None:
        self._db.close()


def _not_a_store(exc: sqlite3.DatabaseError) -> bool:
    """The file exists but is not an SQLite database (a mistyped path, a report file)."""
    return "not a database" in str(exc) or "file is encrypted" in str(exc)


def _wal_mode(db: sqlite3.Connection) -> None:
    """Switch to WAL. The switch needs the database to itself and SQLite answers "database is
    locked" at once, not after the busy timeout, when processes open a new file together:
    retry until the busy timeout has passed."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
