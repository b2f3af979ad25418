"""Collecting the facts of a PostgreSQL, RDS or Aurora PostgreSQL target and its AWS control plane.

:func:`collect_facts` is the one entry. PostgreSQL is read over one read-only session, every
fact family one set-based query in ``audit/collect/sql`` (:mod:`audit.collect.postgres`); the
RDS and CloudWatch control plane with read-only boto3 calls (:mod:`audit.collect.aws`) when the
target is on AWS. What cannot be read is recorded as a :class:`~audit.facts.CollectionIssue`,
never a crash.

The names below are loaded on first use: ``analyze`` imports :mod:`audit.collect.errors` (its
messages mask passwords) but never connects, and psycopg and boto3 take most of a second to
import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.collect.aws import AwsOptions
    from audit.collect.errors import CollectError
    from audit.collect.iam_auth import IamAuthError
    from audit.collect.sources import AwsRequest, collect_facts, with_iam_token

_HOME = {
    "AwsOptions": "audit.collect.aws",
    "CollectError": "audit.collect.errors",
    "IamAuthError": "audit.collect.iam_auth",
    "AwsRequest": "audit.collect.sources",
    "collect_facts": "audit.collect.sources",
    "with_iam_token": "audit.collect.sources",
}

__all__ = [
    "AwsOptions",
    "AwsRequest",
    "CollectError",
    "IamAuthError",
    "collect_facts",
    "with_iam_token",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
