"""The collector's call flow and discovery against moto in-process (``mock_aws``).

moto returns what it was given and little else (no ApplyType/Source, no pending reboot, no
cluster events, time windows ignored): these tests check wiring, discovery, pagination and
the window filter; test_aws_collect_stubber.py covers the responses moto cannot produce.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from audit.collect import AwsOptions
from audit.collect.aws import collect_aws, metric_period, region_from_host

REGION = "eu-west-1"
NOW = datetime.now(UTC)


def _rds() -> Any:
    return boto3.client("rds", region_name=REGION)


def _make_cluster(rds: Any, cluster_id: str = "orders") -> dict[str, Any]:
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=f"{cluster_id}-cdc",
        DBParameterGroupFamily="aurora-postgresql15",
        Description="cdc",
    )
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName=f"{cluster_id}-cdc",
        Parameters=[
            {
                "ParameterName": "rds.logical_replication",
                "ParameterValue": "1",
                "ApplyMethod": "pending-reboot",
            },
            {
                "ParameterName": "shared_buffers",
                "ParameterValue": "1000",
                "ApplyMethod": "pending-reboot",
            },
        ],
    )
    cluster: dict[str, Any] = rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        EngineVersion="15.4",
        DBClusterParameterGroupName=f"{cluster_id}-cdc",
        MasterUsername="postgres",
        MasterUserPassword="not-a-secret",
    )["DBCluster"]
    for suffix in ("1", "2"):
        rds.create_db_instance(
            DBInstanceIdentifier=f"{cluster_id}-{suffix}",
            DBClusterIdentifier=cluster_id,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )
    return cluster


@pytest.fixture
def moto_cluster() -> Iterator[dict[str, Any]]:
    with mock_aws():
        rds = _rds()
        cluster = _make_cluster(rds)
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        cloudwatch.put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "OldestReplicationSlotLag",
                    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "orders-1"}],
                    "Timestamp": NOW - timedelta(hours=h + 0.5),
                    "Value": float(1000 * (24 - h)),
                    "Unit": "Bytes",
                }
                for h in range(24)
            ],
        )
        yield cluster


def test_collects_a_cluster_by_id(moto_cluster: dict[str, Any]) -> None:
    facts, issues = collect_aws(
        AwsOptions(cluster_id="orders", region=REGION), dsn_host=None, now=NOW
    )
    assert issues == []
    assert facts is not None
    assert (facts.source, facts.region, facts.simulated) == ("cluster", REGION, False)
    assert facts.discovered_by == "cluster id orders"
    assert facts.cluster is not None
    assert (facts.cluster.engine, facts.cluster.engine_version) == ("aurora-postgresql", "15.4")
    assert facts.cluster.parameter_group == "orders-cdc"
    assert facts.writer is not None and facts.writer.instance_id == "orders-1"
    assert [r.instance_id for r in facts.readers] == ["orders-2"]
    assert facts.writer.instance_class == "db.r6g.large"
    assert facts.writer.cluster_pg_status == "in-sync"
    group = facts.cluster_parameter_group
    assert group is not None and group.family == "aurora-postgresql15"
    assert group.parameters is not None
    assert set(group.parameters) == {"rds.logical_replication"}  # not shared_buffers
    assert group.parameters["rds.logical_replication"].value == "1"
    lag = facts.series("OldestReplicationSlotLag")
    assert lag is not None and len(lag.points) == 24
    assert lag.dimensions == {"DBInstanceIdentifier": "orders-1"}
    assert [v for _, v in lag.points] == sorted(v for _, v in lag.points)  # oldest first
    assert {s.metric for s in facts.metrics or []} >= {"FreeLocalStorage", "WriteThroughput"}


@pytest.mark.parametrize("endpoint_key", ["Endpoint", "ReaderEndpoint"])
def test_discovers_the_cluster_from_its_endpoints_and_the_region_from_the_host(
    moto_cluster: dict[str, Any], endpoint_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the host says eu-west-1
    host = moto_cluster[endpoint_key]
    assert region_from_host(host) == REGION
    facts, issues = collect_aws(AwsOptions(), dsn_host=host.upper() + ".", now=NOW)
    assert issues == []
    assert facts is not None and facts.cluster is not None
    assert facts.cluster.identifier == "orders"
    assert facts.discovered_by is not None and host in facts.discovered_by.lower()


def test_discovers_the_cluster_from_a_member_instance_endpoint(
    moto_cluster: dict[str, Any],
) -> None:
    address = _rds().describe_db_instances(DBInstanceIdentifier="orders-2")["DBInstances"][0][
        "Endpoint"
    ]["Address"]
    facts, _ = collect_aws(AwsOptions(region=REGION), dsn_host=address, now=NOW)
    assert facts is not None and facts.source == "cluster"
    assert facts.discovered_by == f"instance endpoint {address} (member of orders)"


def test_instance_id_of_a_member_leads_to_its_cluster(moto_cluster: dict[str, Any]) -> None:
    facts, _ = collect_aws(AwsOptions(instance_id="orders-2", region=REGION), dsn_host=None)
    assert facts is not None and facts.cluster is not None and facts.cluster.identifier == "orders"


def test_unmatched_host_stops_with_an_issue(moto_cluster: dict[str, Any]) -> None:
    facts, issues = collect_aws(AwsOptions(region=REGION), dsn_host="db.internal.example")
    assert facts is None
    assert [i.family for i in issues] == ["aws"]
    assert "db.internal.example" in issues[0].reason
    assert issues[0].hint is not None and "--aws-cluster-id" in issues[0].hint


def test_unknown_cluster_id_stops_with_an_issue(moto_cluster: dict[str, Any]) -> None:
    facts, issues = collect_aws(AwsOptions(cluster_id="nope", region=REGION), dsn_host=None)
    assert facts is None
    assert len(issues) == 1 and issues[0].family == "aws"
    assert "rds:DescribeDBClusters failed: DBClusterNotFoundFault" in issues[0].reason


def test_no_host_and_no_id_stops_with_an_issue(moto_cluster: dict[str, Any]) -> None:
    facts, issues = collect_aws(AwsOptions(region=REGION), dsn_host=None)
    assert facts is None and "no host name" in issues[0].reason


def test_no_region_stops_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    facts, issues = collect_aws(AwsOptions(cluster_id="orders"), dsn_host="10.0.0.5")
    assert facts is None
    assert issues[0].reason.startswith("no AWS region")


def test_unknown_profile_is_an_issue() -> None:
    facts, issues = collect_aws(AwsOptions(profile="no-such-profile"), dsn_host=None)
    assert facts is None and "no-such-profile" in issues[0].reason


def test_events_outside_the_window_are_dropped(moto_cluster: dict[str, Any]) -> None:
    """moto ignores StartTime/EndTime: the collector filters by date itself."""
    now_facts, _ = collect_aws(AwsOptions(cluster_id="orders", region=REGION), dsn_host=None)
    assert now_facts is not None and now_facts.events
    assert {e.source_id for e in now_facts.events} == {"orders-1", "orders-2"}
    later = datetime.now(UTC) + timedelta(days=2)
    later_facts, _ = collect_aws(
        AwsOptions(cluster_id="orders", region=REGION), dsn_host=None, now=later
    )
    assert later_facts is not None and later_facts.events == []


def test_standalone_rds_instance_reads_every_cdc_parameter_of_its_group() -> None:
    with mock_aws():
        rds = _rds()
        rds.create_db_parameter_group(
            DBParameterGroupName="billing-pg16",
            DBParameterGroupFamily="postgres16",
            Description="x",
        )
        rds.modify_db_parameter_group(
            DBParameterGroupName="billing-pg16",
            Parameters=[
                {
                    "ParameterName": "rds.logical_replication",
                    "ParameterValue": "1",
                    "ApplyMethod": "pending-reboot",
                },
                {
                    "ParameterName": "max_slot_wal_keep_size",
                    "ParameterValue": "51200",
                    "ApplyMethod": "immediate",
                },
            ],
        )
        instance = rds.create_db_instance(
            DBInstanceIdentifier="billing",
            Engine="postgres",
            EngineVersion="16.3",
            DBInstanceClass="db.m6g.large",
            DBParameterGroupName="billing-pg16",
            AllocatedStorage=100,
            MasterUsername="postgres",
            MasterUserPassword="not-a-secret",
        )["DBInstance"]
        host = instance["Endpoint"]["Address"]
        facts, issues = collect_aws(AwsOptions(region=REGION), dsn_host=host)
    assert issues == []
    assert facts is not None and facts.source == "instance" and facts.cluster is None
    assert facts.writer is not None and facts.writer.instance_id == "billing"
    assert facts.writer.cluster_pg_status is None
    groups = facts.instance_parameter_groups
    assert groups is not None and groups["billing-pg16"].family == "postgres16"
    assert set(groups["billing-pg16"].parameters or {}) == {
        "rds.logical_replication",
        "max_slot_wal_keep_size",
    }


def test_metric_period_keeps_series_short_and_on_cloudwatch_steps() -> None:
    end = datetime(2026, 11, 22, tzinfo=UTC)
    assert metric_period(end - timedelta(hours=1), end) == 60
    assert metric_period(end - timedelta(hours=24), end) == 300
    assert metric_period(end - timedelta(days=30), end) % 300 == 0
    assert metric_period(end - timedelta(days=90), end) % 3600 == 0
