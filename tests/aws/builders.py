"""AWS facts for tests: a healthy Aurora cluster and RDS instance that every 4xx rule passes.

``aurora_facts()`` is an Aurora PostgreSQL 15.4 writer whose cluster parameter group turns
logical replication on and whose SQL settings show it applied; ``rds_facts()`` the same for
an RDS for PostgreSQL 16 instance. A test changes one thing (``with_member``,
``with_cluster_parameters``, ...) and watches the rule react.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from audit.facts import Facts
from audit.facts.aws import (
    AwsCluster,
    AwsEvent,
    AwsFacts,
    AwsMember,
    AwsMetricSeries,
    AwsParameter,
    AwsParameterGroup,
    AwsParameterGroupStatus,
)
from tests.factories import NOW, aurora, facts, rds, settings

CLUSTER = "orders"
WRITER = "orders-1"
READER = "orders-2"
CLUSTER_GROUP = "orders-cdc"
INSTANCE_GROUP = "orders-instances"
RDS_INSTANCE = "billing"
RDS_GROUP = "billing-pg16"


def parameter(name: str, value: str | None, **overrides: Any) -> AwsParameter:
    values: dict[str, Any] = {
        "apply_type": "static",
        "source": "user",
        "apply_method": "pending-reboot",
        "is_modifiable": True,
    }
    values.update(overrides)
    return AwsParameter(name=name, value=value, **values)


def member(instance_id: str, *, writer: bool = False, **overrides: Any) -> AwsMember:
    values: dict[str, Any] = {
        "instance_class": "db.r6g.large",
        "status": "available",
        "engine_version": "15.4",
        "promotion_tier": 1,
        "cluster_pg_status": "in-sync",
        "parameter_groups": [AwsParameterGroupStatus(name=INSTANCE_GROUP, apply_status="in-sync")],
    }
    values.update(overrides)
    return AwsMember(instance_id=instance_id, is_writer=writer, **values)


def aurora_aws(**overrides: Any) -> AwsFacts:
    values: dict[str, Any] = {
        "region": "eu-west-1",
        "source": "cluster",
        "discovered_by": f"cluster id {CLUSTER}",
        "window_start": NOW - timedelta(hours=24),
        "window_end": NOW,
        "cluster": AwsCluster(
            identifier=CLUSTER,
            engine="aurora-postgresql",
            engine_version="15.4",
            engine_mode="provisioned",
            status="available",
            parameter_group=CLUSTER_GROUP,
            endpoint=f"{CLUSTER}.cluster-abc.eu-west-1.rds.amazonaws.com",
            reader_endpoint=f"{CLUSTER}.cluster-ro-abc.eu-west-1.rds.amazonaws.com",
            port=5432,
        ),
        "members": [member(WRITER, writer=True), member(READER)],
        "cluster_parameter_group": AwsParameterGroup(
            name=CLUSTER_GROUP,
            family="aurora-postgresql15",
            parameters={"rds.logical_replication": parameter("rds.logical_replication", "1")},
        ),
        "instance_parameter_groups": {
            INSTANCE_GROUP: AwsParameterGroup(
                name=INSTANCE_GROUP, family="aurora-postgresql15", parameters={}
            )
        },
        "events": [],
        "metrics": [],
    }
    values.update(overrides)
    return AwsFacts(**values)


def rds_aws(**overrides: Any) -> AwsFacts:
    values: dict[str, Any] = {
        "region": "eu-west-1",
        "source": "instance",
        "discovered_by": f"instance id {RDS_INSTANCE}",
        "window_start": NOW - timedelta(hours=24),
        "window_end": NOW,
        "members": [
            member(
                RDS_INSTANCE,
                writer=True,
                engine_version="16.3",
                cluster_pg_status=None,
                parameter_groups=[AwsParameterGroupStatus(name=RDS_GROUP, apply_status="in-sync")],
            )
        ],
        "instance_parameter_groups": {
            RDS_GROUP: AwsParameterGroup(
                name=RDS_GROUP,
                family="postgres16",
                parameters={"rds.logical_replication": parameter("rds.logical_replication", "1")},
            )
        },
        "events": [],
        "metrics": [],
    }
    values.update(overrides)
    return AwsFacts(**values)


def aurora_facts(aws: AwsFacts | None = None, **overrides: Any) -> Facts:
    """An Aurora 15.4 writer with logical replication configured and applied."""
    values: dict[str, Any] = {
        "server": aurora(version="15.4", version_num=150004, aurora_version="15.4.1"),
        "settings": settings({"rds.logical_replication": "on"}),
        "aws": aws if aws is not None else aurora_aws(),
    }
    values.update(overrides)
    return facts(**values)


def rds_facts(aws: AwsFacts | None = None, **overrides: Any) -> Facts:
    values: dict[str, Any] = {
        "server": rds(version="16.3", version_num=160003),
        "settings": settings({"rds.logical_replication": "on"}),
        "aws": aws if aws is not None else rds_aws(),
    }
    values.update(overrides)
    return facts(**values)


def with_member(aws: AwsFacts, instance_id: str, **changes: Any) -> AwsFacts:
    members = [
        m.model_copy(update=changes) if m.instance_id == instance_id else m
        for m in aws.members or []
    ]
    return aws.model_copy(update={"members": members})


def with_cluster_parameters(aws: AwsFacts, *parameters: AwsParameter) -> AwsFacts:
    assert aws.cluster_parameter_group is not None
    group = aws.cluster_parameter_group
    merged = {**(group.parameters or {}), **{p.name: p for p in parameters}}
    return aws.model_copy(
        update={"cluster_parameter_group": group.model_copy(update={"parameters": merged})}
    )


def with_instance_parameters(aws: AwsFacts, group: str, *parameters: AwsParameter) -> AwsFacts:
    groups = dict(aws.instance_parameter_groups or {})
    current = groups[group]
    merged = {**(current.parameters or {}), **{p.name: p for p in parameters}}
    groups[group] = current.model_copy(update={"parameters": merged})
    return aws.model_copy(update={"instance_parameter_groups": groups})


def with_cluster(aws: AwsFacts, **changes: Any) -> AwsFacts:
    assert aws.cluster is not None
    return aws.model_copy(update={"cluster": aws.cluster.model_copy(update=changes)})


def series(
    metric: str,
    values: list[float],
    *,
    instance: str = WRITER,
    end: datetime = NOW,
    hours: float = 24.0,
    statistic: str = "Maximum",
    unit: str = "Bytes",
) -> AwsMetricSeries:
    """``values`` spread evenly over the ``hours`` before ``end``, oldest first."""
    step = timedelta(hours=hours) / max(len(values) - 1, 1)
    start = end - step * (len(values) - 1)
    return AwsMetricSeries(
        metric=metric,
        dimensions={"DBInstanceIdentifier": instance},
        statistic=statistic,
        period_seconds=int(step.total_seconds()),
        unit=unit,
        points=[(start + step * i, v) for i, v in enumerate(values)],
    )


def event(message: str, *, hours_ago: float = 3.0, categories: list[str] | None = None) -> AwsEvent:
    return AwsEvent(
        date=NOW - timedelta(hours=hours_ago),
        source_type="db-cluster",
        source_id=CLUSTER,
        categories=["failover"] if categories is None else categories,
        message=message,
    )
