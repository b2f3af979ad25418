"""The AWS control plane: RDS and CloudWatch facts for Aurora and RDS PostgreSQL targets.

``collect_aws`` is the only network code (boto3, read-only); everything else in this package
is a pure function of the facts, used by the 4xx rules. The collector is imported on first
use, so the rule pack (which reads ``audit.aws.reconcile``) never imports boto3.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.aws.collect import AwsOptions, collect_aws
    from audit.aws.iam_auth import IamAuthError, iam_auth_token

__all__ = ["AwsOptions", "IamAuthError", "collect_aws", "iam_auth_token"]

_HOME = {
    "AwsOptions": "audit.aws.collect",
    "collect_aws": "audit.aws.collect",
    "IamAuthError": "audit.aws.iam_auth",
    "iam_auth_token": "audit.aws.iam_auth",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'audit.aws' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)
