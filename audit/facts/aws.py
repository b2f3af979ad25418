"""Facts read from the AWS control plane (RDS and CloudWatch).

Everything here is what the APIs returned, renamed but not judged. A part that could not be
read is ``None`` and the collector records a ``CollectionIssue`` with family ``aws.<part>``
(see :data:`AWS_FAMILIES`); an empty list means "read, and there was nothing".
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from audit.facts.base import FactModel

IN_SYNC = "in-sync"

AWS_FAMILIES = {
    "aws": "the whole AWS collection (region, credentials, discovery)",
    "aws.instances": "rds:DescribeDBInstances for the cluster members",
    "aws.parameter_groups": "the families of the parameter groups (Describe*ParameterGroups)",
    "aws.cluster_parameters": "the DB cluster parameter group's parameters",
    "aws.instance_parameters": "the DB (instance) parameter groups' parameters",
    "aws.events": "rds:DescribeEvents over the look-back window",
    "aws.metrics": "cloudwatch:GetMetricData over the look-back window",
}


class AwsParameter(FactModel):
    """One row of ``describe_db_cluster_parameters`` / ``describe_db_parameters``."""

    name: str
    value: str | None = Field(
        default=None, description="ParameterValue; absent when the engine default applies"
    )
    apply_type: str | None = Field(default=None, description="static | dynamic")
    source: str | None = Field(default=None, description="engine-default | system | user")
    apply_method: str | None = Field(default=None, description="immediate | pending-reboot")
    is_modifiable: bool | None = None
    allowed_values: str | None = None


class AwsParameterGroup(FactModel):
    """A DB cluster or DB (instance) parameter group and its CDC-relevant parameters."""

    name: str
    family: str | None = None
    parameters: dict[str, AwsParameter] | None = Field(
        default=None,
        description="CDC-relevant parameters by name; for Aurora instance groups only the ones "
        "set in the group (Source=user), which override the cluster group. None: not readable",
    )


class AwsParameterGroupStatus(FactModel):
    """``DBInstance.DBParameterGroups[]``: a group attached to an instance and its apply status."""

    name: str
    apply_status: str | None = Field(
        default=None,
        description="ParameterApplyStatus: in-sync | pending-reboot | applying | "
        "failed-to-apply | pending-database-upgrade",
    )


class AwsMember(FactModel):
    """A DB instance: an Aurora cluster member, or the RDS instance itself."""

    instance_id: str
    is_writer: bool
    instance_class: str | None = None
    status: str | None = None
    engine: str | None = Field(default=None, description="Engine: aurora-postgresql | postgres")
    engine_version: str | None = None
    promotion_tier: int | None = None
    cluster_pg_status: str | None = Field(
        default=None,
        description="DBClusterMembers[].DBClusterParameterGroupStatus; None outside a cluster",
    )
    parameter_groups: list[AwsParameterGroupStatus] = Field(default_factory=list)
    pending_engine_version: str | None = Field(
        default=None, description="PendingModifiedValues.EngineVersion"
    )
    endpoint: str | None = None
    port: int | None = None


class AwsServerlessV2(FactModel):
    """``ServerlessV2ScalingConfiguration``, in Aurora capacity units."""

    min_capacity: float | None = None
    max_capacity: float | None = None


class AwsCluster(FactModel):
    """An Aurora DB cluster as ``describe_db_clusters`` describes it."""

    identifier: str
    engine: str | None = None
    engine_version: str | None = None
    engine_mode: str | None = Field(
        default=None, description="provisioned | serverless (v1) | parallelquery | global | ..."
    )
    status: str | None = None
    parameter_group: str | None = None
    serverless_v2: AwsServerlessV2 | None = None
    global_cluster_id: str | None = None
    endpoint: str | None = None
    reader_endpoint: str | None = None
    custom_endpoints: list[str] = Field(default_factory=list)
    port: int | None = None
    pending_engine_version: str | None = Field(
        default=None, description="PendingModifiedValues.EngineVersion"
    )


class AwsEvent(FactModel):
    """One RDS event (``describe_events``) inside the look-back window."""

    date: datetime
    source_type: str | None = None
    source_id: str | None = None
    categories: list[str] = Field(default_factory=list)
    message: str = ""


class AwsMetricSeries(FactModel):
    """One CloudWatch series (namespace ``AWS/RDS``) over the look-back window, oldest first."""

    metric: str
    dimensions: dict[str, str]
    statistic: str
    period_seconds: int
    unit: str | None = Field(default=None, description="the unit AWS documents for the metric")
    points: list[tuple[datetime, float]] = Field(default_factory=list)


class AwsFacts(FactModel):
    """What the RDS and CloudWatch APIs said about the audited cluster or instance."""

    region: str | None = None
    simulated: bool = Field(
        default=False,
        description="collected from a local simulator (moto), not from AWS: never a real account",
    )
    source: Literal["cluster", "instance"] | None = Field(
        default=None, description="an Aurora DB cluster, or a single RDS DB instance"
    )
    discovered_by: str | None = Field(
        default=None, description="how the target was found: an explicit id or an endpoint match"
    )
    window_start: datetime | None = None
    window_end: datetime | None = None
    cluster: AwsCluster | None = None
    members: list[AwsMember] | None = None
    cluster_parameter_group: AwsParameterGroup | None = None
    instance_parameter_groups: dict[str, AwsParameterGroup] | None = Field(
        default=None, description="DB (instance) parameter groups of the members, by name"
    )
    events: list[AwsEvent] | None = None
    metrics: list[AwsMetricSeries] | None = None

    @property
    def is_cluster(self) -> bool:
        return self.source == "cluster"

    @property
    def writer(self) -> AwsMember | None:
        return next((m for m in self.members or [] if m.is_writer), None)

    @property
    def readers(self) -> list[AwsMember]:
        return [m for m in self.members or [] if not m.is_writer]

    @property
    def window_hours(self) -> float | None:
        if self.window_start is None or self.window_end is None:
            return None
        return round((self.window_end - self.window_start).total_seconds() / 3600, 2)

    @property
    def engine_version(self) -> str | None:
        if self.cluster is not None and self.cluster.engine_version:
            return self.cluster.engine_version
        writer = self.writer
        return writer.engine_version if writer else None

    def series(self, metric: str) -> AwsMetricSeries | None:
        return next((s for s in self.metrics or [] if s.metric == metric), None)
