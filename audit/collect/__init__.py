"""Collecting the facts of a PostgreSQL, RDS or Aurora PostgreSQL target and its AWS control plane.

:func:`collect_facts` is the one entry. PostgreSQL is read over one read-only session, every
fact family one set-based query in ``audit/collect/sql`` (:mod:`audit.collect.postgres`); the
RDS and CloudWatch control plane with read-only boto3 calls (:mod:`audit.collect.aws`) when the
target is on AWS. What cannot be read is recorded as a :class:`~audit.facts.CollectionIssue`,
never a crash.
"""

from audit.collect.aws import AwsOptions
from audit.collect.errors import CollectError
from audit.collect.iam_auth import IamAuthError
from audit.collect.sources import AwsRequest, collect_facts, with_iam_token

__all__ = [
    "AwsOptions",
    "AwsRequest",
    "CollectError",
    "IamAuthError",
    "collect_facts",
    "with_iam_token",
]
