"""What moto cannot produce, through botocore's Stubber: pending-reboot, applying and
failed-to-apply statuses, full parameter metadata, Marker pagination, failover events with
their real categories, AccessDenied on single calls. Stubber validates every request and
response against the botocore model, so these fixtures cannot drift from the API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from audit.collect import AwsOptions
from audit.collect.aws import collect_aws
from audit.engine import Status, find_rule
from audit.facts.aws import AWS_FAMILIES
from tests.factories import aurora, facts, fix_text, run, settings

REGION = "eu-west-1"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CLUSTER_ARN = "arn:aws:rds:eu-west-1:123456789012:cluster:orders"


class StubbedSession:
    """Stands in for a boto3 Session: hands out two stubbed clients."""

    region_name = REGION

    def __init__(self) -> None:
        self.clients = {
            name: boto3.client(name, region_name=REGION) for name in ("rds", "cloudwatch")
        }
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}

    def client(self, name: str, **_: Any) -> Any:
        return self.clients[name]

    def add(self, service: str, operation: str, response: Any, params: Any = None) -> None:
        if isinstance(response, Exception):
            code, message = response.args
            self.stubs[service].add_client_error(
                operation, service_error_code=code, service_message=message, http_status_code=403
            )
        else:
            self.stubs[service].add_response(operation, response, params)

    def __enter__(self) -> StubbedSession:
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *exc: object) -> None:
        for stub in self.stubs.values():
            stub.deactivate()

    def assert_all_used(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


def denied(message: str = "not authorized") -> Exception:
    return Exception("AccessDenied", message)


def cluster_response(**overrides: Any) -> dict[str, Any]:
    cluster: dict[str, Any] = {
        "DBClusterIdentifier": "orders",
        "DBClusterArn": CLUSTER_ARN,
        "Engine": "aurora-postgresql",
        "EngineVersion": "15.4",
        "EngineMode": "provisioned",
        "Status": "available",
        "DBClusterParameterGroup": "orders-cdc",
        "Endpoint": "orders.cluster-abc.eu-west-1.rds.amazonaws.com",
        "ReaderEndpoint": "orders.cluster-ro-abc.eu-west-1.rds.amazonaws.com",
        "CustomEndpoints": ["orders-analytics.cluster-custom-abc.eu-west-1.rds.amazonaws.com"],
        "Port": 5432,
        "DBClusterMembers": [
            {
                "DBInstanceIdentifier": "orders-1",
                "IsClusterWriter": True,
                "DBClusterParameterGroupStatus": "pending-reboot",
                "PromotionTier": 1,
            },
            {
                "DBInstanceIdentifier": "orders-2",
                "IsClusterWriter": False,
                "DBClusterParameterGroupStatus": "in-sync",
                "PromotionTier": 2,
            },
        ],
    }
    cluster.update(overrides)
    return {"DBClusters": [cluster]}


def instance(instance_id: str, apply_status: str = "in-sync") -> dict[str, Any]:
    return {
        "DBInstanceIdentifier": instance_id,
        "DBInstanceClass": "db.r6g.large",
        "Engine": "aurora-postgresql",
        "EngineVersion": "15.4",
        "DBInstanceStatus": "available",
        "DBClusterIdentifier": "orders",
        "PromotionTier": 1,
        "Endpoint": {"Address": f"{instance_id}.abc.eu-west-1.rds.amazonaws.com", "Port": 5432},
        "DBParameterGroups": [
            {"DBParameterGroupName": "orders-instances", "ParameterApplyStatus": apply_status}
        ],
    }


PAGE_1 = {
    "Parameters": [
        {
            "ParameterName": "max_replication_slots",
            "ParameterValue": "20",
            "Source": "user",
            "ApplyType": "static",
            "DataType": "integer",
            "AllowedValues": "5-8388607",
            "IsModifiable": True,
            "ApplyMethod": "pending-reboot",
        },
        {
            "ParameterName": "shared_buffers",
            "ParameterValue": "{DBInstanceClassMemory/10922}",
            "Source": "system",
            "ApplyType": "static",
            "IsModifiable": True,
            "ApplyMethod": "pending-reboot",
        },
    ],
    "Marker": "page-2",
}
PAGE_2 = {
    "Parameters": [
        {
            "ParameterName": "rds.logical_replication",
            "ParameterValue": "1",
            "Source": "user",
            "ApplyType": "static",
            "DataType": "boolean",
            "AllowedValues": "0,1",
            "IsModifiable": True,
            "ApplyMethod": "pending-reboot",
        },
        {
            "ParameterName": "max_slot_wal_keep_size",
            "Source": "engine-default",
            "ApplyType": "dynamic",
            "IsModifiable": True,
            "ApplyMethod": "pending-reboot",
        },
    ]
}
FAILOVER = {
    "Events": [
        {
            "SourceIdentifier": "orders",
            "SourceType": "db-cluster",
            "Message": "Started cross AZ failover to DB instance: orders-1",
            "EventCategories": ["failover"],
            "Date": NOW - timedelta(hours=5),
            "SourceArn": CLUSTER_ARN,
        },
        {
            "SourceIdentifier": "orders",
            "SourceType": "db-cluster",
            "Message": "Completed failover to DB instance: orders-1",
            "EventCategories": ["failover"],
            "Date": NOW - timedelta(hours=5) + timedelta(seconds=40),
            "SourceArn": CLUSTER_ARN,
        },
    ]
}


def queue_cluster(
    session: StubbedSession,
    *,
    replace: dict[str, Any] | None = None,
    writer_apply_status: str = "in-sync",
) -> None:
    """The calls collect_aws makes for cluster ``orders``, in order; ``replace`` swaps one
    operation's response (an exception for an error)."""
    steps: list[tuple[str, str, Any, Any]] = [
        ("rds", "describe_db_clusters", cluster_response(), {"DBClusterIdentifier": "orders"}),
        (
            "rds",
            "describe_db_instances",
            {"DBInstances": [instance("orders-1", writer_apply_status), instance("orders-2")]},
            {"Filters": [{"Name": "db-cluster-id", "Values": ["orders"]}]},
        ),
        (
            "rds",
            "describe_db_cluster_parameter_groups",
            {
                "DBClusterParameterGroups": [
                    {
                        "DBClusterParameterGroupName": "orders-cdc",
                        "DBParameterGroupFamily": "aurora-postgresql15",
                    }
                ]
            },
            {"DBClusterParameterGroupName": "orders-cdc"},
        ),
        (
            "rds",
            "describe_db_cluster_parameters",
            PAGE_1,
            {"DBClusterParameterGroupName": "orders-cdc"},
        ),
        (
            "rds",
            "describe_db_cluster_parameters#2",
            PAGE_2,
            {"DBClusterParameterGroupName": "orders-cdc", "Marker": "page-2"},
        ),
        (
            "rds",
            "describe_db_parameter_groups",
            {
                "DBParameterGroups": [
                    {
                        "DBParameterGroupName": "orders-instances",
                        "DBParameterGroupFamily": "aurora-postgresql15",
                    }
                ]
            },
            {"DBParameterGroupName": "orders-instances"},
        ),
        (
            "rds",
            "describe_db_parameters",
            {
                "Parameters": [
                    {
                        "ParameterName": "wal_sender_timeout",
                        "ParameterValue": "0",
                        "Source": "user",
                        "ApplyType": "dynamic",
                        "IsModifiable": True,
                        "ApplyMethod": "immediate",
                    }
                ]
            },
            {"DBParameterGroupName": "orders-instances", "Source": "user"},
        ),
        ("rds", "describe_events", FAILOVER, events_params("db-cluster", "orders")),
        ("rds", "describe_events#writer", {"Events": []}, events_params("db-instance", "orders-1")),
        ("rds", "describe_events#reader", {"Events": []}, events_params("db-instance", "orders-2")),
        ("cloudwatch", "get_metric_data", metrics_page(0, "next"), metrics_params()),
        ("cloudwatch", "get_metric_data#2", metrics_page(1, None), metrics_params(token="next")),
    ]
    denied_pages: set[str] = set()
    for service, step, response, params in steps:
        operation, _, page = step.partition("#")
        if operation in denied_pages and page == "2":
            continue  # an error on page one ends the paginator
        reply, expected = response, params
        if replace and step in replace:
            reply, expected = replace[step], None
            if isinstance(reply, Exception):
                denied_pages.add(operation)
        session.add(service, operation, reply, expected)


def events_params(source_type: str, source_id: str) -> dict[str, Any]:
    return {
        "SourceType": source_type,
        "SourceIdentifier": source_id,
        "StartTime": ANY,
        "EndTime": ANY,
    }


def metrics_params(token: str | None = None) -> dict[str, Any]:
    params = {
        "MetricDataQueries": ANY,
        "StartTime": NOW - timedelta(hours=24),
        "EndTime": NOW,
        "ScanBy": "TimestampAscending",
    }
    if token:
        params["NextToken"] = token
    return params


def metrics_page(page: int, token: str | None) -> dict[str, Any]:
    """OldestReplicationSlotLag (query m0) split over two pages."""
    start = NOW - timedelta(hours=24)
    stamps = [start + timedelta(hours=h) for h in range(page * 12, page * 12 + 12)]
    response: dict[str, Any] = {
        "MetricDataResults": [
            {
                "Id": "m0",
                "Label": "OldestReplicationSlotLag",
                "Timestamps": stamps,
                "Values": [float((t - start).total_seconds()) for t in stamps],
                "StatusCode": "Complete" if token is None else "PartialData",
            }
        ]
    }
    if token:
        response["NextToken"] = token
    return response


def collect(session: StubbedSession) -> tuple[Any, list[Any]]:
    return collect_aws(
        AwsOptions(cluster_id="orders", region=REGION), dsn_host=None, session=session, now=NOW
    )


def test_full_cluster_flow_with_pending_reboot_metadata_and_paging() -> None:
    with StubbedSession() as session:
        queue_cluster(session, writer_apply_status="applying")
        aws, issues = collect(session)
        session.assert_all_used()
    assert issues == []
    assert aws is not None and aws.simulated is False
    writer, reader = aws.writer, aws.readers[0]
    assert writer is not None and writer.instance_id == "orders-1"
    assert writer.cluster_pg_status == "pending-reboot"
    assert writer.parameter_groups[0].apply_status == "applying"
    assert reader.cluster_pg_status == "in-sync" and reader.promotion_tier == 2
    assert aws.cluster is not None and aws.cluster.custom_endpoints
    group = aws.cluster_parameter_group
    assert group is not None and group.parameters is not None
    assert set(group.parameters) == {
        "max_replication_slots",
        "rds.logical_replication",
        "max_slot_wal_keep_size",
    }
    logical = group.parameters["rds.logical_replication"]
    assert (logical.value, logical.apply_type, logical.source, logical.allowed_values) == (
        "1",
        "static",
        "user",
        "0,1",
    )
    assert group.parameters["max_slot_wal_keep_size"].value is None  # engine default: absent
    overrides = aws.instance_parameter_groups
    assert overrides is not None
    assert set(overrides["orders-instances"].parameters or {}) == {"wal_sender_timeout"}
    assert [e.message for e in aws.events or []][-1].startswith("Completed failover")
    lag = aws.series("OldestReplicationSlotLag")
    assert lag is not None and len(lag.points) == 24  # both pages merged
    assert lag.points[0][0] == NOW - timedelta(hours=24)


def test_collected_pending_reboot_fails_cdc403_with_the_reboot_command() -> None:
    with StubbedSession() as session:
        queue_cluster(session)
        aws, _ = collect(session)
    the_facts = facts(
        server=aurora(version="15.4", version_num=150004, aurora_version="15.4.1"),
        settings=settings({"rds.logical_replication": "off"}, wal_level="replica"),
        aws=aws,
    )
    rule = find_rule("CDC403")
    assert rule is not None
    result = run(rule, the_facts)
    assert result.status is Status.FAIL
    assert result.findings[0].fix is not None
    assert "aws rds reboot-db-instance --db-instance-identifier orders-1" in fix_text(
        result.findings[0]
    )
    failover = find_rule("CDC407")
    assert failover is not None and run(failover, the_facts).status is Status.FAIL


@pytest.mark.parametrize(
    ("operation", "family", "reason", "empty"),
    [
        (
            "describe_db_cluster_parameters",
            "aws.cluster_parameters",
            "rds:DescribeDBClusterParameters denied",
            "cluster_parameter_group.parameters",
        ),
        (
            "describe_db_parameters",
            "aws.instance_parameters",
            "rds:DescribeDBParameters denied",
            None,
        ),
        ("describe_events", "aws.events", "rds:DescribeEvents denied", "events"),
        ("get_metric_data", "aws.metrics", "cloudwatch:GetMetricData denied", "metrics"),
        (
            "describe_db_cluster_parameter_groups",
            "aws.parameter_groups",
            "rds:DescribeDBClusterParameterGroups denied",
            "cluster_parameter_group.family",
        ),
    ],
)
def test_access_denied_on_one_call_is_an_issue_and_collection_goes_on(
    operation: str, family: str, reason: str, empty: str | None
) -> None:
    with StubbedSession() as session:
        queue_cluster(session, replace={operation: denied()})
        aws, issues = collect(session)
    assert aws is not None and aws.cluster is not None  # the rest was still collected
    assert [(i.family, i.reason) for i in issues] == [(family, reason)]
    assert family in AWS_FAMILIES
    assert issues[0].hint is not None and "docs/aws.md" in issues[0].hint
    if empty is not None:
        value: Any = aws
        for part in empty.split("."):
            value = getattr(value, part)
        assert value is None


def test_denied_cluster_parameters_leave_cdc402_not_evaluated_with_the_iam_action() -> None:
    with StubbedSession() as session:
        queue_cluster(session, replace={"describe_db_cluster_parameters": denied()})
        aws, issues = collect(session)
    rule = find_rule("CDC402")
    assert rule is not None
    result = run(rule, facts(server=aurora(), aws=aws, issues=issues))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == "rds:DescribeDBClusterParameters denied"


def test_access_denied_on_describe_db_clusters_stops_collection() -> None:
    with StubbedSession() as session:
        session.add("rds", "describe_db_clusters", denied())
        aws, issues = collect(session)
    assert aws is None
    assert [(i.family, i.reason) for i in issues] == [("aws", "rds:DescribeDBClusters denied")]


def test_denied_describe_db_instances_keeps_members_from_the_cluster() -> None:
    with StubbedSession() as session:
        session.add("rds", "describe_db_clusters", cluster_response())
        session.add("rds", "describe_db_instances", denied())
        session.add(
            "rds",
            "describe_db_cluster_parameter_groups",
            {"DBClusterParameterGroups": []},
        )
        session.add("rds", "describe_db_cluster_parameters", PAGE_2)
        for _source in ("orders", "orders-1", "orders-2"):
            session.add("rds", "describe_events", {"Events": []})
        session.add("cloudwatch", "get_metric_data", {"MetricDataResults": []})
        aws, issues = collect(session)
        session.assert_all_used()
    assert [i.reason for i in issues] == ["rds:DescribeDBInstances denied"]
    assert aws is not None and aws.instance_parameter_groups is None
    assert aws.writer is not None and aws.writer.cluster_pg_status == "pending-reboot"
    assert aws.writer.instance_class is None


def test_failed_to_apply_and_unknown_statuses_are_kept_verbatim() -> None:
    with StubbedSession() as session:
        queue_cluster(session, writer_apply_status="failed-to-apply")
        aws, _ = collect(session)
    assert aws is not None and aws.writer is not None
    assert aws.writer.parameter_groups[0].apply_status == "failed-to-apply"


def test_throttling_that_outlasts_the_retries_is_named_as_such() -> None:
    """Stubber answers above botocore's retry layer, so one error is the final one here;
    test_aws_retry.py shows the retries themselves."""
    with StubbedSession() as session:
        session.stubs["rds"].add_client_error(
            "describe_db_clusters", service_error_code="Throttling", http_status_code=400
        )
        aws, issues = collect(session)
    assert aws is None
    assert issues[0].reason == "rds:DescribeDBClusters still throttled after 8 attempts"


def test_an_unexpected_answer_becomes_an_issue_not_a_crash() -> None:
    with StubbedSession() as session:
        session.add(
            "rds", "describe_db_clusters", {"DBClusters": [{"Engine": "aurora-postgresql"}]}
        )
        aws, issues = collect(session)
    assert aws is None
    assert issues[-1].family == "aws"
    assert issues[-1].reason.startswith("AWS collection failed: KeyError")
