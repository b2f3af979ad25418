"""Activity that CDC waits for: long or idle-in-transaction sessions, prepared transactions."""

from __future__ import annotations

from audit.collect.session import Session
from audit.facts.models import PreparedXact, SessionActivity


def read_sessions(session: Session) -> list[SessionActivity]:
    return session.models("sessions", SessionActivity)


def read_prepared_xacts(session: Session) -> list[PreparedXact]:
    return session.models("prepared_xacts", PreparedXact)
