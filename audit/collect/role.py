"""The role family: the auditing role's attributes, memberships and CREATE on the database."""

from __future__ import annotations

from audit.collect.session import Session
from audit.facts import Role


def read_role(session: Session) -> Role:
    return Role.model_validate(session.row("role"))
