"""IAM database authentication: a short-lived password signed locally, no network call."""

from __future__ import annotations

import boto3  # type: ignore[import-untyped]

from audit.collect.aws import region_from_host


class IamAuthError(RuntimeError):
    """No token can be made (no region, no credentials); the message says which."""


def iam_auth_token(host: str, port: int, user: str, region: str | None, profile: str | None) -> str:
    """The password for an IAM-authenticated connection (valid 15 minutes).

    ``generate_db_auth_token`` presigns ``connect`` locally with the session's credentials;
    the database user needs the ``rds_iam`` role and the caller ``rds-db:connect``.
    """
    session = boto3.session.Session(profile_name=profile)
    region = region or region_from_host(host) or session.region_name
    if not region:
        raise IamAuthError("IAM authentication needs a region: pass --aws-region")
    if session.get_credentials() is None:
        raise IamAuthError("IAM authentication needs AWS credentials; none were found")
    client = session.client("rds", region_name=region)
    token: str = client.generate_db_auth_token(
        DBHostname=host, Port=port, DBUsername=user, Region=region
    )
    return token
