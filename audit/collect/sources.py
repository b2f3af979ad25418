"""``collect_facts()``: every source the target has, PostgreSQL first, then the AWS control plane.

The AWS side is read only when the user names an AWS target or the server says it is RDS or
Aurora; a self-managed server is never sent to AWS.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psycopg.conninfo

from audit.collect.aws import AwsOptions, collect_aws
from audit.collect.decoding_probe import ProbeRequest
from audit.collect.iam_auth import iam_auth_token
from audit.collect.postgres import collect_postgres
from audit.facts import Facts


@dataclass(frozen=True)
class AwsRequest:
    """The AWS options of the command line."""

    options: AwsOptions
    explicit: bool = False  # an --aws-* option was given: read AWS even if SQL cannot tell

    def wanted_for(self, facts: Facts) -> bool:
        server = facts.server
        return self.explicit or (server is not None and server.looks_managed)


def with_iam_token(conninfo: str | None, options: AwsOptions) -> str:
    """The connection string with an RDS IAM authentication token as its password."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo or "")
    host = str(params.get("host") or os.environ.get("PGHOST") or "")
    port = int(params.get("port") or os.environ.get("PGPORT") or 5432)
    user = str(params.get("user") or os.environ.get("PGUSER") or "")
    if not host or not user:
        raise ValueError("--iam-auth needs the host and user in --dsn or PGHOST/PGUSER")
    token = iam_auth_token(host, port, user, options.region, options.profile)
    params["password"] = token
    params.setdefault("sslmode", "require")
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})


def collect_facts(
    conninfo: str | None,
    *,
    sample_seconds: float = 60.0,
    interval: float = 5.0,
    progress: Callable[[str], None] | None = None,
    labels: Mapping[str, str] | None = None,
    aws: AwsRequest | None = None,
    aws_session: object | None = None,
    read_probe: bool = True,
    decoding_probe: ProbeRequest | None = None,
) -> Facts:
    """Collect the PostgreSQL facts, then the AWS facts when ``aws`` asks for them.

    ``aws=None`` reads PostgreSQL only (see :func:`~audit.collect.postgres.collect_postgres` for
    the other arguments); ``aws_session`` is a boto3 session to use instead of a new one.
    """
    started = time.monotonic()
    facts = collect_postgres(
        conninfo,
        sample_seconds=sample_seconds,
        interval=interval,
        progress=progress,
        labels=labels,
        read_probe=read_probe,
        decoding_probe=decoding_probe,
    )
    if aws is None or not aws.wanted_for(facts):
        return facts
    if progress is not None:
        progress("aws")
    aws_facts, issues = collect_aws(
        aws.options,
        dsn_host=facts.target.host,
        session=aws_session,
    )
    labels_out = dict(facts.labels)
    if aws_facts is not None and aws_facts.simulated:
        labels_out["simulated"] = "aws"
    return facts.model_copy(
        update={
            "aws": aws_facts,
            "issues": [*facts.issues, *issues],
            "labels": labels_out,
            "collection_seconds": round(time.monotonic() - started, 3),
        }
    )
