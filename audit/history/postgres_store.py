"""The history in a PostgreSQL database: one store shared by a team or a fleet of machines.

Concurrency: migrations run under a transaction-level advisory lock, so processes opening a
new store at once create the tables once; a run is one ``INSERT ... ON CONFLICT (report_id,
target_id) DO NOTHING``, atomic and idempotent under any number of writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from audit.history.schema import MIGRATIONS, RUNS, SCHEMA_TABLE, SCHEMA_VERSION, migration_table
from audit.history.store import HistoryError, HistoryStore, NewRun, StoredRun, compress, decompress

#: Key of the advisory lock that serialises migrations (any constant unique to this tool).
MIGRATION_LOCK = 0x43444350_48495354  # "CDCPHIST"
CONNECT_TIMEOUT_S = 10
_COLUMNS = (
    "id, report_id, target_id, target_name, profile, run_at, stored_at, verdict, counts, "
    "labels, tool_version"
)


class PostgresStore(HistoryStore):
    def __init__(self, url: str) -> None:
        from audit.collect.errors import mask_passwords

        self.location = mask_passwords(url)
        try:
            self._db = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="cdc-preflight-history",
            )
        except psycopg.ProgrammingError as exc:  # a malformed URL
            raise HistoryError(f"--history {self.location}: {exc}", usage=True) from exc
        except psycopg.OperationalError as exc:
            raise HistoryError(f"cannot open history {self.location}: {_line(exc)}") from exc
        try:
            self._migrate()
        except psycopg.Error as exc:
            self._db.close()
            raise HistoryError(f"cannot prepare history {self.location}: {_line(exc)}") from exc

    def _migrate(self) -> None:
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            self._db.execute(migration_table("postgresql"))
            row = self._db.execute(f"SELECT max(version) FROM {SCHEMA_TABLE}").fetchone()
            current = (row[0] if row else None) or 0
            if current > SCHEMA_VERSION:
                raise HistoryError(
                    f"history {self.location}: schema version {current} is newer than this "
                    f"cdc-preflight knows ({SCHEMA_VERSION}); upgrade cdc-preflight"
                )
            for version in sorted(v for v in MIGRATIONS if v > current):
                for statement in MIGRATIONS[version]["postgresql"]:
                    self._db.execute(statement)
                self._db.execute(
                    f"INSERT INTO {SCHEMA_TABLE} (version, applied_at) VALUES (%s, now())",
                    (version,),
                )

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """A lost connection or a failed statement is one line naming the store."""
        try:
            yield
        except psycopg.Error as exc:
            raise HistoryError(f"cannot {doing} history {self.location}: {_line(exc)}") from exc

    def add(self, run: NewRun) -> bool:
        with self._errors("write"):
            return self._add(run)

    def _add(self, run: NewRun) -> bool:
        cursor = self._db.execute(
            f"""INSERT INTO {RUNS} (report_id, target_id, target_name, profile, run_at,
                stored_at, verdict, counts, labels, tool_version, facts_sha256, report_gz,
                facts_gz)
            VALUES (%s, %s, %s, %s, %s, now(), %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (report_id, target_id) DO NOTHING""",
            (
                run.report_id,
                run.target_id,
                run.target_name,
                run.profile,
                run.run_at,
                run.verdict,
                Jsonb(run.counts),
                Jsonb(run.labels),
                run.tool_version,
                run.facts_sha256,
                compress(run.report_json),
                compress(run.facts_json),
            ),
        )
        return cursor.rowcount == 1

    @staticmethod
    def _stored(row: tuple[Any, ...]) -> StoredRun:
        return StoredRun(*row)

    def runs(self, target: str | None = None) -> list[StoredRun]:
        with self._errors("read"):
            return self._runs(target)

    def _runs(self, target: str | None) -> list[StoredRun]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM {RUNS} WHERE %(t)s::text IS NULL OR target_id = %(t)s "
            "OR target_name = %(t)s ORDER BY run_at DESC, id DESC",
            {"t": target},
        ).fetchall()
        return [self._stored(r) for r in rows]

    def previous(self, target_id: str, profile: str, before: datetime) -> StoredRun | None:
        with self._errors("read"):
            return self._previous(target_id, profile, before)

    def _previous(self, target_id: str, profile: str, before: datetime) -> StoredRun | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM {RUNS} WHERE target_id = %s AND profile = %s "
            "AND run_at < %s ORDER BY run_at DESC, id DESC LIMIT 1",
            (target_id, profile, before),
        ).fetchone()
        return self._stored(row) if row else None

    def documents(self, run_id: int) -> tuple[bytes, bytes]:
        with self._errors("read"):
            row = self._db.execute(
                f"SELECT report_gz, facts_gz FROM {RUNS} WHERE id = %s", (run_id,)
            ).fetchone()
        if row is None:
            raise HistoryError(f"{self.location}: no run {run_id}")
        return decompress(bytes(row[0])), decompress(bytes(row[1]))

    def prune(self, target_id: str, keep: timedelta) -> int:
        with self._errors("prune"):
            cursor = self._db.execute(
                f"""DELETE FROM {RUNS} WHERE target_id = %(t)s AND run_at <
                    (SELECT max(run_at) FROM {RUNS} WHERE target_id = %(t)s) - %(keep)s""",
                {"t": target_id, "keep": keep},
            )
        return cursor.rowcount

    def close(self) -> None:
        self._db.close()


def _line(exc: psycopg.Error) -> str:
    from audit.collect.errors import mask_passwords

    return mask_passwords(" ".join(str(exc).split()))
