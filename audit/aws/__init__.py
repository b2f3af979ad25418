"""The AWS control plane: RDS and CloudWatch facts for Aurora and RDS PostgreSQL targets.

``collect_aws`` is the only network code (boto3, read-only); everything else in this package
is a pure function of the facts, used by the 4xx rules.
"""

from audit.aws.collect import AwsOptions, collect_aws
from audit.aws.iam_auth import IamAuthError, iam_auth_token

__all__ = ["AwsOptions", "IamAuthError", "collect_aws", "iam_auth_token"]
