"""Sessions of client applications, as opposed to walsenders and background workers."""

from __future__ import annotations

from collections.abc import Iterable

from audit.facts.models import SessionActivity

IDLE_IN_TRANSACTION = ("idle in transaction", "idle in transaction (aborted)")
CLIENT = ("client backend", None)


def client_sessions(sessions: Iterable[SessionActivity]) -> list[SessionActivity]:
    return [s for s in sessions if s.backend_type in CLIENT]


def who(session: SessionActivity) -> str:
    """``pid 4711 (app billing, user jobs, database shop)``."""
    parts = [
        f"app {session.application_name}" if session.application_name else None,
        f"user {session.user}" if session.user else None,
        f"database {session.database}" if session.database else None,
    ]
    details = ", ".join(p for p in parts if p)
    return f"pid {session.pid}" + (f" ({details})" if details else "")


def evidence(session: SessionActivity) -> dict[str, object]:
    return {
        "pid": session.pid,
        "user": session.user,
        "application_name": session.application_name,
        "database": session.database,
        "state": session.state,
        "xact_started_at": session.xact_started_at.isoformat() if session.xact_started_at else None,
        "xact_age_seconds": session.xact_age_seconds,
        "state_age_seconds": session.state_age_seconds,
        "backend_xmin_age": session.backend_xmin_age,
        "wait_event": session.wait_event,
    }
