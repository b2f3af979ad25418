"""The senders family: WAL senders streaming now (standbys and CDC clients) and their slots."""

from __future__ import annotations

from audit.collect.session import Session
from audit.facts.models import Sender


def read_senders(session: Session) -> list[Sender]:
    return session.models("senders", Sender)
