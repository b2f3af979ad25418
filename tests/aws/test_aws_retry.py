"""Throttling is retried by botocore's standard retry mode (CLIENT_CONFIG), below Stubber's
level: these tests answer the first HTTP attempts with a Throttling error through a
``before-send`` hook, and let moto answer the rest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries.standard import ExponentialBackoff
from moto import mock_aws

from audit.collect import AwsOptions
from audit.collect.aws import MAX_ATTEMPTS, collect_aws

THROTTLED = (
    b'<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type>'
    b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    b"<RequestId>7c1e</RequestId></ErrorResponse>"
)


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


class Throttle:
    """Answer the first ``times`` DescribeDBClusters attempts with HTTP 400 Throttling."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.attempts = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.attempts += 1
        if self.attempts <= self.times:
            return AWSResponse(request.url, 400, {}, _Body(THROTTLED))
        return None  # moto answers


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


def _session_with(throttle: Throttle) -> Any:
    session = boto3.session.Session(region_name="eu-west-1")
    session.events.register_first("before-send.rds.DescribeDBClusters", throttle)
    return session


def test_throttled_then_ok_succeeds() -> None:
    with mock_aws():
        boto3.client("rds", region_name="eu-west-1").create_db_cluster(
            DBClusterIdentifier="orders",
            Engine="aurora-postgresql",
            MasterUsername="postgres",
            MasterUserPassword="not-a-secret",
        )
        throttle = Throttle(times=3)
        aws, issues = collect_aws(
            AwsOptions(cluster_id="orders"), dsn_host=None, session=_session_with(throttle)
        )
    assert throttle.attempts == 4
    assert aws is not None and aws.cluster is not None and aws.cluster.identifier == "orders"
    assert not [i for i in issues if i.family == "aws"]


def test_throttling_beyond_max_attempts_is_an_issue() -> None:
    with mock_aws():
        throttle = Throttle(times=100)
        aws, issues = collect_aws(
            AwsOptions(cluster_id="orders"), dsn_host=None, session=_session_with(throttle)
        )
    assert throttle.attempts == MAX_ATTEMPTS
    assert aws is None
    assert (
        issues[0].reason == f"rds:DescribeDBClusters still throttled after {MAX_ATTEMPTS} attempts"
    )
