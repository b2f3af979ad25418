"""A simulated Aurora PostgreSQL control plane for the demo and the tests (never AWS).

:func:`simulated_aurora` starts moto's server on 127.0.0.1 (an ephemeral port), creates an
``aurora-postgresql`` cluster, at the engine version of the server that plays its writer, with
a writer and a reader whose cluster parameter group sets ``rds.logical_replication = 1`` (and
more slots and WAL senders) not yet applied (``pending-reboot``), seeds CloudWatch metrics
and a failover event, and yields where to find it. Anything collected from it is labelled
simulated: :func:`audit.collect.aws.collect_aws` marks facts from a loopback endpoint
``simulated=True``.

moto cannot produce a pending reboot or cluster events by itself (docs/aws.md): the status
property of moto's ``DBCluster`` is patched for this context only, and the failover events are
appended to moto's event list. Both touch moto internals, pinned to moto 5.2.5 in the test
extra, and both are undone on exit, when the server's state is reset too.
"""

from __future__ import annotations

import logging
import math
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from unittest import mock

import boto3  # type: ignore[import-untyped]

from audit.collect import AwsOptions
from audit.platform.reconcile import major_of

#: What the simulated writer runs before its reboot: Aurora's logical replication still off and
#: the applied override of its DB parameter group. The demo's local server runs with these.
WRITER_RUNNING = {"rds.logical_replication": "off", "logical_decoding_work_mem": "131072"}
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
_STATUS_ATTRIBUTE = "_cdc_preflight_pg_status"
GIB = 1024**3


@dataclass(frozen=True)
class SimulatedAws:
    """Where the simulated control plane listens and what it holds."""

    endpoint_url: str
    region: str
    cluster_id: str
    writer_id: str
    reader_id: str
    cluster_endpoint: str
    env: dict[str, str] = field(default_factory=dict)

    def session(self) -> Any:
        """A boto3 Session with the simulator's dummy credentials."""
        return boto3.session.Session(
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=self.region,
        )

    def options(self, history_hours: float = 24.0) -> AwsOptions:
        """The options that point :func:`collect_aws` at the simulated cluster."""
        return AwsOptions(
            cluster_id=self.cluster_id,
            region=self.region,
            history_hours=history_hours,
            endpoint_url=self.endpoint_url,
        )


@dataclass(frozen=True)
class _Event:
    """Duck-typed like moto's ``rds.models.Event`` (moto has no cluster events)."""

    source_identifier: str
    source_type: str
    message: str
    event_categories: list[str]
    source_arn: str
    date: datetime


def _with_statuses(original: Any) -> property:
    """moto's ``DBCluster.db_cluster_members``, with the statuses a test or demo set."""

    def members(self: Any) -> list[dict[str, Any]]:
        statuses: dict[str, str] = getattr(self, _STATUS_ATTRIBUTE, {})
        return [
            {
                **member,
                "DBClusterParameterGroupStatus": statuses.get(
                    member["DBInstanceIdentifier"], member["DBClusterParameterGroupStatus"]
                ),
            }
            for member in original(self)
        ]

    return property(members)


@contextmanager
def simulated_aurora(
    *,
    cluster_id: str = "demo-aurora",
    region: str = "us-east-1",
    engine_version: str,
    writer_status: str = "pending-reboot",
    reader_status: str = "pending-reboot",
    failover_hours_ago: float | None = 6.0,
    history_hours: float = 24.0,
    now: datetime | None = None,
) -> Iterator[SimulatedAws]:
    """Run the simulated Aurora control plane for the duration of the ``with`` block.

    ``engine_version`` is the major.minor of the PostgreSQL server that plays the writer
    (:func:`audit.demo.engine_version`): the cluster, its instances and its parameter-group
    family (``aurora-postgresql<major>``) say what that server runs. moto stores the version as
    given (it does not check it against Aurora's release list), so a community minor such as
    18.6 is accepted. Not re-entrant: one simulator per process at a time (moto's state is
    process-wide).
    """
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.rds.models import DBCluster, rds_backends
    from moto.server import ThreadedMotoServer

    now = (now or datetime.now(UTC)).astimezone(UTC)
    with ExitStack() as undo:  # callbacks run last-in first-out
        request_log = logging.getLogger("werkzeug")  # one line per request otherwise
        undo.callback(request_log.setLevel, request_log.level)
        request_log.setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        undo.callback(server.stop)
        host, port = server.get_host_and_port()
        endpoint_url = f"http://{host}:{port}"
        undo.callback(_reset, endpoint_url)
        original = vars(DBCluster)["db_cluster_members"].fget
        undo.enter_context(
            mock.patch.object(DBCluster, "db_cluster_members", _with_statuses(original))
        )
        session = boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=region
        )
        rds = session.client("rds", endpoint_url=endpoint_url)
        cloudwatch = session.client("cloudwatch", endpoint_url=endpoint_url)
        writer_id, reader_id = f"{cluster_id}-1", f"{cluster_id}-2"
        cluster = _create_cluster(rds, cluster_id, engine_version, writer_id, reader_id)
        backend = rds_backends[DEFAULT_ACCOUNT_ID][region]
        setattr(
            backend.clusters[cluster_id],
            _STATUS_ATTRIBUTE,
            {writer_id: writer_status, reader_id: reader_status},
        )
        if failover_hours_ago is not None:
            at = now - timedelta(hours=failover_hours_ago)
            events = cast(list[Any], backend.events)  # _Event is duck-typed
            events.extend(_failover_events(cluster, writer_id, at))
        _seed_metrics(cloudwatch, writer_id, now, history_hours)
        yield SimulatedAws(
            endpoint_url=endpoint_url,
            region=region,
            cluster_id=cluster_id,
            writer_id=writer_id,
            reader_id=reader_id,
            cluster_endpoint=cluster["Endpoint"],
            env={
                "AWS_ENDPOINT_URL": endpoint_url,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_DEFAULT_REGION": region,
            },
        )


def _reset(endpoint_url: str) -> None:
    """Drop everything the simulator created (moto's state is process-wide)."""
    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def _create_cluster(
    rds: Any, cluster_id: str, engine_version: str, writer_id: str, reader_id: str
) -> dict[str, Any]:
    family = f"aurora-postgresql{major_of(engine_version)}"
    cluster_group, instance_group = f"{cluster_id}-cdc", f"{cluster_id}-instances"
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=cluster_group,
        DBParameterGroupFamily=family,
        Description="CDC: logical replication (simulated)",
    )
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName=cluster_group,
        Parameters=[
            {
                "ParameterName": "rds.logical_replication",
                "ParameterValue": "1",
                "ApplyMethod": "pending-reboot",
            },
            {
                "ParameterName": "max_replication_slots",
                "ParameterValue": "10",
                "ApplyMethod": "pending-reboot",
            },
            {
                "ParameterName": "max_wal_senders",
                "ParameterValue": "10",
                "ApplyMethod": "pending-reboot",
            },
        ],
    )
    rds.create_db_parameter_group(
        DBParameterGroupName=instance_group,
        DBParameterGroupFamily=family,
        Description="instance overrides (simulated)",
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName=instance_group,
        Parameters=[
            {
                "ParameterName": "logical_decoding_work_mem",
                "ParameterValue": WRITER_RUNNING["logical_decoding_work_mem"],
                "ApplyMethod": "immediate",
            }
        ],
    )
    cluster: dict[str, Any] = rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        EngineVersion=engine_version,
        DBClusterParameterGroupName=cluster_group,
        MasterUsername="postgres",
        MasterUserPassword="simulated-only",
    )["DBCluster"]
    for instance_id in (writer_id, reader_id):
        rds.create_db_instance(
            DBInstanceIdentifier=instance_id,
            DBClusterIdentifier=cluster_id,
            Engine="aurora-postgresql",
            EngineVersion=engine_version,
            DBInstanceClass="db.r6g.large",
            DBParameterGroupName=instance_group,
        )
    return cluster


def _failover_events(cluster: dict[str, Any], writer_id: str, at: datetime) -> list[_Event]:
    def event(message: str, offset_seconds: int) -> _Event:
        return _Event(
            source_identifier=cluster["DBClusterIdentifier"],
            source_type="db-cluster",
            message=message,
            event_categories=["failover"],
            source_arn=cluster["DBClusterArn"],
            date=at + timedelta(seconds=offset_seconds),
        )

    return [
        event(f"Started cross AZ failover to DB instance: {writer_id}", 0),
        event(f"Completed failover to DB instance: {writer_id}", 35),
    ]


def _seed_metrics(cloudwatch: Any, instance_id: str, now: datetime, hours: float) -> None:
    """Five-minute points of a busy writer before logical replication is on."""
    dimensions = [{"Name": "DBInstanceIdentifier", "Value": instance_id}]
    steps = int(hours * 12)
    data: list[dict[str, Any]] = []
    for i in range(steps + 1):
        at = now - timedelta(minutes=5 * (steps - i))
        day = math.sin(2 * math.pi * i / 288)
        values = {
            "WriteThroughput": (2.5e6 + 1.5e6 * day, "Bytes/Second"),
            "FreeLocalStorage": (60 * GIB - i * 0.7e6, "Bytes"),
            "MaximumUsedTransactionIDs": (180e6 + i * 7000, "Count"),
            "TransactionLogsDiskUsage": (-1.0, "Bytes"),
        }
        data.extend(
            {
                "MetricName": name,
                "Dimensions": dimensions,
                "Timestamp": at,
                "Value": value,
                "Unit": unit,
            }
            for name, (value, unit) in values.items()
        )
    for start in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=data[start : start + 500])
