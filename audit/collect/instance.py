"""Instance-wide families: the databases sharing the WAL, the cumulative WAL counters and the
WAL archiver."""

from __future__ import annotations

from audit.collect.session import Session
from audit.facts.models import Archiver, Database, DatabaseCounters, WalStats

PG_STAT_WAL_MIN_VERSION = 140000
_COUNTERS = tuple(DatabaseCounters.model_fields)


def read_databases(session: Session) -> list[Database]:
    databases = []
    for row in session.rows("databases"):
        counters = {name: row.pop(name) for name in _COUNTERS}
        has_stats = any(v is not None for v in counters.values())
        row["counters"] = DatabaseCounters.model_validate(counters) if has_stats else None
        databases.append(Database.model_validate(row))
    return databases


def read_wal_stats(session: Session) -> WalStats:
    counters = session.row("wal_stats")["counters"]
    known = {k: v for k, v in counters.items() if k in WalStats.model_fields}
    return WalStats.model_validate(known)


def read_archiver(session: Session) -> Archiver:
    return Archiver.model_validate(session.row("archiver"))
