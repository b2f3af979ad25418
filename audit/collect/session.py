"""A collection session: runs the family queries and turns a family's failure into a recorded issue.

Only a lost connection stops the audit (:class:`CollectError`); anything else a family meets
(permission denied, a function this server lacks, a timeout, a value we cannot read) becomes a
:class:`CollectionIssue` and the family stays ``None``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, TypeVar

import psycopg
from psycopg import errors, sql
from psycopg.rows import class_row, dict_row
from pydantic import BaseModel, ValidationError

from audit import interrupt
from audit.collect.errors import CollectError, one_line
from audit.facts import CollectionIssue

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

STATEMENT_TIMEOUT_HINT = (
    "the query ran longer than statement_timeout (30 s); run the audit when the server is less busy"
)
LOCK_TIMEOUT_HINT = (
    "another session held an exclusive lock for longer than lock_timeout (1 s); run the audit "
    "again later"
)


class UnexpectedResult(Exception):
    """A query returned something other than what its family expects."""


STREAM_CHUNK_ROWS = 1000


@functools.cache
def load_sql(name: str) -> str:
    """The text of ``audit/collect/sql/<name>.sql``."""
    return (files("audit.collect") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def query(
    name: str, fragments: Mapping[str, sql.Composable] | None = None
) -> sql.SQL | sql.Composed:
    """``sql/<name>.sql``, with its ``{placeholders}`` filled by ``fragments`` if given."""
    text = sql.SQL(load_sql(name))
    return text.format(**fragments) if fragments else text


def describe(exc: Exception) -> str:
    """One line saying what went wrong, as the server put it."""
    if isinstance(exc, psycopg.Error) and exc.diag.message_primary:
        return one_line(exc.diag.message_primary)
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return one_line(f"unexpected value from the server: {where}: {first['msg']}")
    return one_line(str(exc))


@dataclass
class Session:
    """One read-only connection and the issues recorded so far."""

    conn: psycopg.Connection[Any]
    secrets: list[str] = field(default_factory=list)
    issues: list[CollectionIssue] = field(default_factory=list)

    # ------------------------------------------------------------------ queries

    def rows(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """All rows of ``sql/<name>.sql`` as dicts."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(load_sql(name), params).fetchall()

    def tuples(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        fragments: Mapping[str, sql.Composable] | None = None,
    ) -> list[tuple[Any, ...]]:
        """All rows of ``sql/<name>.sql`` as tuples (for large, short-lived results)."""
        with self.conn.cursor() as cur:
            return cur.execute(query(name, fragments), params).fetchall()

    def stream(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        fragments: Mapping[str, sql.Composable] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The rows of ``sql/<name>.sql`` as dicts, received in chunks (libpq 17+) so that
        neither libpq nor Python holds the whole result at once."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            try:
                yield from cur.stream(query(name, fragments), params, size=STREAM_CHUNK_ROWS)
            except psycopg.NotSupportedError:  # libpq before 17: no chunked rows
                yield from cur.execute(query(name, fragments), params)

    def row(self, name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The single row of ``sql/<name>.sql``."""
        rows = self.rows(name, params)
        if len(rows) != 1:
            raise UnexpectedResult(f"{name}.sql returned {len(rows)} rows instead of one")
        return rows[0]

    def models(self, name: str, model: type[M], params: Mapping[str, Any] | None = None) -> list[M]:
        """All rows of ``sql/<name>.sql`` as ``model`` instances (columns named after fields)."""
        with self.conn.cursor(row_factory=class_row(model)) as cur:
            return cur.execute(load_sql(name), params).fetchall()

    # ------------------------------------------------------------------ families

    def attempt(
        self,
        family: str,
        read: Callable[[], T],
        *,
        grant: str | None = None,
        consequence: str | None = None,
    ) -> T | None:
        """``read()``, or None with an issue for ``family`` if the server would not answer.

        ``grant`` is the hint shown when the role lacks a privilege; ``consequence`` is added
        to the reason (e.g. which fallback is used instead).
        """
        try:
            return read()
        except (psycopg.Error, ValidationError, UnexpectedResult) as exc:
            if interrupt.received() is not None:
                # a Ctrl-C or SIGTERM landed mid-query (psycopg cancels it, or finds the
                # connection busy): the interrupt's doing, not the server's answer
                raise KeyboardInterrupt from exc
            if self.conn.broken or self.conn.closed:
                raise CollectError(
                    f"lost the connection while collecting {family}: "
                    f"{one_line(str(exc), self.secrets)}"
                ) from None
            reason = describe(exc)
            if consequence:
                reason = f"{reason}; {consequence}"
            self.record(family, reason, _hint_for(exc, grant))
            return None

    def record(self, family: str, reason: str, hint: str | None = None) -> None:
        self.issues.append(CollectionIssue(family=family, reason=reason, hint=hint))


def _hint_for(exc: Exception, grant: str | None) -> str | None:
    if isinstance(exc, errors.InsufficientPrivilege):
        return grant
    if isinstance(exc, errors.QueryCanceled):
        return STATEMENT_TIMEOUT_HINT
    if isinstance(exc, errors.LockNotAvailable):
        return LOCK_TIMEOUT_HINT
    return None
