"""Collecting facts from a PostgreSQL, RDS or Aurora PostgreSQL database over one read-only session.

Every fact family is one set-based query in ``audit/collect/sql``; what cannot be read is
recorded as a :class:`~audit.facts.CollectionIssue`, never a crash.
"""

from audit.collect.collector import collect
from audit.collect.errors import CollectError

__all__ = ["CollectError", "collect"]
