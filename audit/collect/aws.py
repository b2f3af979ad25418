"""Reading the RDS and CloudWatch control plane into :class:`AwsFacts`.

The only AWS network code. Read-only ``Describe*`` / ``GetMetricData`` calls, paginated, with
botocore's standard retry mode (throttling is retried with backoff). A call that fails records
a :class:`CollectionIssue` naming the IAM action and leaves its part of the facts ``None``;
only a failure to find the target stops the collection. See docs/aws.md for the IAM policy.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ProfileNotFound,
)

from audit.facts import CollectionIssue
from audit.facts.aws import (
    AwsCluster,
    AwsEvent,
    AwsFacts,
    AwsMember,
    AwsMetricSeries,
    AwsParameter,
    AwsParameterGroup,
    AwsParameterGroupStatus,
    AwsServerlessV2,
)
from audit.platform.reconcile import is_override

T = TypeVar("T")
log = logging.getLogger(__name__)

CDC_PARAMETERS = (
    "rds.logical_replication",
    "max_replication_slots",
    "max_wal_senders",
    "max_logical_replication_workers",
    "max_worker_processes",
    "wal_sender_timeout",
    "logical_decoding_work_mem",
    "aurora.enhanced_logical_replication",
    "aurora.logical_replication_backup",
    "aurora.logical_replication_globaldb",
    "rds.logical_wal_cache",
    "max_slot_wal_keep_size",
)


@dataclass(frozen=True)
class MetricSpec:
    name: str
    statistic: str
    unit: str


METRICS = (
    MetricSpec("OldestReplicationSlotLag", "Maximum", "Bytes"),
    MetricSpec("ReplicationSlotDiskUsage", "Maximum", "Bytes"),
    MetricSpec("TransactionLogsDiskUsage", "Maximum", "Bytes"),
    MetricSpec("TransactionLogsGeneration", "Average", "Bytes/Second"),
    MetricSpec("WriteThroughput", "Average", "Bytes/Second"),
    MetricSpec("FreeStorageSpace", "Minimum", "Bytes"),
    MetricSpec("FreeLocalStorage", "Minimum", "Bytes"),
    MetricSpec("MaximumUsedTransactionIDs", "Maximum", "Count"),
)
MAX_POINTS_PER_SERIES = 288

MAX_ATTEMPTS = 8
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    connect_timeout=10,
    read_timeout=30,
    user_agent_appid="cdc-preflight",
)

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized"}
_BAD_CREDENTIALS = {"InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken"}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests"}
_RDS_HOST = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.amazonaws\.com(?:\.cn)?\.?$", re.I)


@dataclass(frozen=True)
class AwsOptions:
    """What the user told us about the AWS side of the target."""

    cluster_id: str | None = None
    instance_id: str | None = None
    region: str | None = None
    profile: str | None = None
    history_hours: float = 24.0
    endpoint_url: str | None = None  # a simulator or LocalStack; None: AWS (or AWS_ENDPOINT_URL)

    def __post_init__(self) -> None:
        if not self.history_hours > 0:
            raise ValueError(f"history_hours must be positive, not {self.history_hours}")


def region_from_host(host: str | None) -> str | None:
    """'db.cluster-abc.eu-west-1.rds.amazonaws.com' -> 'eu-west-1'."""
    match = _RDS_HOST.search(host or "")
    return match.group(1).lower() if match else None


def is_loopback(url: str | None) -> bool:
    """An endpoint on this machine is never AWS: what it returns is simulated."""
    host = urlsplit(url or "").hostname
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe_error(iam_prefix: str, exc: Exception) -> str:
    """One line naming the IAM action and what went wrong."""
    if isinstance(exc, ClientError):
        action = f"{iam_prefix}:{exc.operation_name}"
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in _DENIED:
            return f"{action} denied"
        if code in _BAD_CREDENTIALS:
            return f"{action}: AWS credentials rejected ({code})"
        if code in _THROTTLED:
            return f"{action} still throttled after {MAX_ATTEMPTS} attempts"
        return f"{action} failed: {code}: {error.get('Message', '')}".rstrip(": ")
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found (environment, --aws-profile, or an instance role)"
    return f"{iam_prefix}: {exc}"


class _Stop(Exception):
    """The target could not be found: nothing else can be collected."""


class _Api:
    """The two clients, and the issues their failures leave behind."""

    def __init__(self, rds: Any, cloudwatch: Any) -> None:
        self.rds = rds
        self.cloudwatch = cloudwatch
        self.issues: list[CollectionIssue] = []

    def pages(self, client: Any, operation: str, key: str, **params: Any) -> list[Any]:
        items: list[Any] = []
        for page in client.get_paginator(operation).paginate(**params):
            items.extend(page.get(key, []))
        return items

    def guard(self, family: str, iam_prefix: str, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except (ClientError, BotoCoreError) as exc:
            self.issues.append(
                CollectionIssue(
                    family=family,
                    reason=describe_error(iam_prefix, exc),
                    hint="see docs/aws.md for the IAM policy cdc-preflight needs",
                )
            )
            return None

    def must(self, call: Callable[[], T]) -> T:
        """A discovery call: its failure stops the collection."""
        result = self.guard("aws", "rds", call)
        if result is None:
            raise _Stop
        return result


def collect_aws(
    options: AwsOptions,
    *,
    dsn_host: str | None,
    session: Any = None,
    now: datetime | None = None,
) -> tuple[AwsFacts | None, list[CollectionIssue]]:
    """Describe the cluster or instance behind ``dsn_host`` (or the explicit ids).

    Discovery: ``options.cluster_id``, else ``options.instance_id`` (an Aurora member leads to
    its cluster), else the cluster whose writer, reader or custom endpoint is ``dsn_host``,
    else the instance whose endpoint is ``dsn_host``. ``session`` is a boto3 Session (one is
    made from ``options.profile`` when omitted). Returns the facts (None when the target could
    not be found or reached) and every issue met on the way.
    """
    end = (now or datetime.now(UTC)).astimezone(UTC)
    start = end - timedelta(hours=options.history_hours)
    try:
        session = session or boto3.session.Session(profile_name=options.profile)
    except ProfileNotFound:
        reason = f"AWS profile {options.profile!r} not found"
        return None, [CollectionIssue(family="aws", reason=reason)]
    region = options.region or region_from_host(dsn_host) or session.region_name
    if not region:
        return None, [
            CollectionIssue(
                family="aws",
                reason="no AWS region: the host is not an RDS endpoint and none is configured",
                hint="pass --aws-region or set AWS_REGION",
            )
        ]
    clients = {
        name: session.client(
            name, region_name=region, endpoint_url=options.endpoint_url, config=CLIENT_CONFIG
        )
        for name in ("rds", "cloudwatch")
    }
    api = _Api(clients["rds"], clients["cloudwatch"])
    try:
        facts = _collect(api, options, dsn_host, region, start, end)
    except _Stop:
        return None, api.issues
    except Exception as exc:  # a surprise in one API answer must not sink the SQL audit
        log.exception("AWS collection failed")
        reason = f"AWS collection failed: {type(exc).__name__}: {exc}"
        return None, [*api.issues, CollectionIssue(family="aws", reason=reason)]
    return facts, api.issues


def _collect(
    api: _Api,
    options: AwsOptions,
    dsn_host: str | None,
    region: str,
    start: datetime,
    end: datetime,
) -> AwsFacts:
    cluster_raw, instance_raw, discovered_by = _discover(api, options, dsn_host, region)
    cluster: AwsCluster | None = None
    if cluster_raw is not None:
        cluster = _cluster(cluster_raw)
        members, instances_known = _cluster_members(api, cluster_raw)
        source: Literal["cluster", "instance"] = "cluster"
    else:
        assert instance_raw is not None  # _discover returns one of the two
        members, instances_known = [_member(instance_raw, None)], True
        source = "instance"
    cluster_group = _cluster_parameter_group(api, cluster.parameter_group) if cluster else None
    instance_groups = (
        _instance_parameter_groups(api, members, only_overrides=cluster is not None)
        if instances_known
        else None
    )
    sources = [("db-cluster", cluster.identifier)] if cluster else []
    sources += [("db-instance", m.instance_id) for m in members]
    writer = next((m for m in members if m.is_writer), None)
    return AwsFacts(
        region=region,
        simulated=is_loopback(api.rds.meta.endpoint_url),
        source=source,
        discovered_by=discovered_by,
        window_start=start,
        window_end=end,
        cluster=cluster,
        members=members,
        cluster_parameter_group=cluster_group,
        instance_parameter_groups=instance_groups,
        events=_events(api, sources, start, end),
        metrics=_metrics(api, writer.instance_id, start, end) if writer else [],
    )


def _discover(
    api: _Api, options: AwsOptions, dsn_host: str | None, region: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str]:
    """(cluster, instance, how): exactly one of cluster and instance is set."""
    if options.cluster_id:
        cluster = _find_cluster(api, options.cluster_id, region)
        return cluster, None, f"cluster id {options.cluster_id}"
    if options.instance_id:
        found = api.must(
            lambda: api.pages(
                api.rds,
                "describe_db_instances",
                "DBInstances",
                DBInstanceIdentifier=options.instance_id,
            )
        )
        return _instance_or_its_cluster(api, found[0], region, f"instance id {options.instance_id}")
    if not dsn_host:
        api.issues.append(
            CollectionIssue(
                family="aws",
                reason="no AWS target: the connection has no host name to match an RDS endpoint",
                hint="pass --aws-cluster-id or --aws-instance-id",
            )
        )
        raise _Stop
    host = dsn_host.rstrip(".").lower()
    clusters = api.must(lambda: api.pages(api.rds, "describe_db_clusters", "DBClusters"))
    for raw in clusters:
        for kind, endpoint in _cluster_endpoints(raw):
            if endpoint.rstrip(".").lower() == host:
                return raw, None, f"{kind} endpoint {dsn_host}"
    instances = api.must(lambda: api.pages(api.rds, "describe_db_instances", "DBInstances"))
    for raw in instances:
        address = (raw.get("Endpoint") or {}).get("Address", "")
        if address.rstrip(".").lower() == host:
            return _instance_or_its_cluster(api, raw, region, f"instance endpoint {dsn_host}")
    api.issues.append(
        CollectionIssue(
            family="aws",
            reason=f"no RDS cluster or instance in {region} has the endpoint {dsn_host}",
            hint="pass --aws-cluster-id or --aws-instance-id (and --aws-region)",
        )
    )
    raise _Stop


def _find_cluster(api: _Api, cluster_id: str, region: str) -> dict[str, Any]:
    found = api.must(
        lambda: api.pages(
            api.rds, "describe_db_clusters", "DBClusters", DBClusterIdentifier=cluster_id
        )
    )
    if not found:
        api.issues.append(
            CollectionIssue(family="aws", reason=f"no DB cluster {cluster_id} in {region}")
        )
        raise _Stop
    cluster: dict[str, Any] = found[0]
    return cluster


def _instance_or_its_cluster(
    api: _Api, raw: dict[str, Any], region: str, how: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str]:
    cluster_id = raw.get("DBClusterIdentifier")
    if cluster_id:
        return _find_cluster(api, cluster_id, region), None, f"{how} (member of {cluster_id})"
    return None, raw, how


def _cluster_endpoints(raw: dict[str, Any]) -> Iterable[tuple[str, str]]:
    if raw.get("Endpoint"):
        yield "cluster", raw["Endpoint"]
    if raw.get("ReaderEndpoint"):
        yield "reader", raw["ReaderEndpoint"]
    for endpoint in raw.get("CustomEndpoints") or []:
        yield "custom", endpoint


def _cluster(raw: dict[str, Any]) -> AwsCluster:
    scaling = raw.get("ServerlessV2ScalingConfiguration")
    return AwsCluster(
        identifier=raw["DBClusterIdentifier"],
        engine=raw.get("Engine"),
        engine_version=raw.get("EngineVersion"),
        engine_mode=raw.get("EngineMode"),
        status=raw.get("Status"),
        parameter_group=raw.get("DBClusterParameterGroup"),
        serverless_v2=AwsServerlessV2(
            min_capacity=scaling.get("MinCapacity"), max_capacity=scaling.get("MaxCapacity")
        )
        if scaling
        else None,
        global_cluster_id=raw.get("GlobalClusterIdentifier"),
        endpoint=raw.get("Endpoint"),
        reader_endpoint=raw.get("ReaderEndpoint"),
        custom_endpoints=list(raw.get("CustomEndpoints") or []),
        port=raw.get("Port"),
        pending_engine_version=(raw.get("PendingModifiedValues") or {}).get("EngineVersion"),
    )


def _cluster_members(api: _Api, cluster_raw: dict[str, Any]) -> tuple[list[AwsMember], bool]:
    """DBClusterMembers, completed from describe_db_instances when that is allowed (then the
    second item is True)."""
    instances = api.guard(
        "aws.instances",
        "rds",
        lambda: api.pages(
            api.rds,
            "describe_db_instances",
            "DBInstances",
            Filters=[{"Name": "db-cluster-id", "Values": [cluster_raw["DBClusterIdentifier"]]}],
        ),
    )
    by_id = {raw["DBInstanceIdentifier"]: raw for raw in instances or []}
    members = [
        _member(by_id.get(m["DBInstanceIdentifier"], {}), m)
        for m in cluster_raw.get("DBClusterMembers") or []
    ]
    return members, instances is not None


def _member(raw: dict[str, Any], cluster_member: dict[str, Any] | None) -> AwsMember:
    endpoint = raw.get("Endpoint") or {}
    if cluster_member is not None:
        instance_id = cluster_member["DBInstanceIdentifier"]
        is_writer = bool(cluster_member.get("IsClusterWriter"))
        promotion_tier = cluster_member.get("PromotionTier", raw.get("PromotionTier"))
    else:
        instance_id = raw["DBInstanceIdentifier"]
        is_writer = not raw.get("ReadReplicaSourceDBInstanceIdentifier")
        promotion_tier = raw.get("PromotionTier")
    return AwsMember(
        instance_id=instance_id,
        is_writer=is_writer,
        instance_class=raw.get("DBInstanceClass"),
        status=raw.get("DBInstanceStatus"),
        engine=raw.get("Engine"),
        engine_version=raw.get("EngineVersion"),
        promotion_tier=promotion_tier,
        cluster_pg_status=(cluster_member or {}).get("DBClusterParameterGroupStatus"),
        parameter_groups=[
            AwsParameterGroupStatus(
                name=g["DBParameterGroupName"], apply_status=g.get("ParameterApplyStatus")
            )
            for g in raw.get("DBParameterGroups") or []
        ],
        pending_engine_version=(raw.get("PendingModifiedValues") or {}).get("EngineVersion"),
        endpoint=endpoint.get("Address"),
        port=endpoint.get("Port"),
    )


def _parameter(raw: dict[str, Any]) -> AwsParameter:
    return AwsParameter(
        name=raw["ParameterName"],
        value=raw.get("ParameterValue"),
        apply_type=raw.get("ApplyType"),
        source=raw.get("Source"),
        apply_method=raw.get("ApplyMethod"),
        is_modifiable=raw.get("IsModifiable"),
        allowed_values=raw.get("AllowedValues"),
    )


def _cdc_parameters(raws: list[dict[str, Any]]) -> dict[str, AwsParameter]:
    return {r["ParameterName"]: _parameter(r) for r in raws if r["ParameterName"] in CDC_PARAMETERS}


def _cluster_parameter_group(api: _Api, name: str | None) -> AwsParameterGroup | None:
    if not name:
        api.issues.append(
            CollectionIssue(family="aws.cluster_parameters", reason="the cluster names no group")
        )
        return None
    groups = api.guard(
        "aws.parameter_groups",
        "rds",
        lambda: api.pages(
            api.rds,
            "describe_db_cluster_parameter_groups",
            "DBClusterParameterGroups",
            DBClusterParameterGroupName=name,
        ),
    )
    parameters = api.guard(
        "aws.cluster_parameters",
        "rds",
        lambda: api.pages(
            api.rds,
            "describe_db_cluster_parameters",
            "Parameters",
            DBClusterParameterGroupName=name,
        ),
    )
    return AwsParameterGroup(
        name=name,
        family=groups[0].get("DBParameterGroupFamily") if groups else None,
        parameters=None if parameters is None else _cdc_parameters(parameters),
    )


def _instance_parameter_groups(
    api: _Api, members: list[AwsMember], *, only_overrides: bool
) -> dict[str, AwsParameterGroup]:
    """Every DB parameter group of the members; on Aurora only what overrides the cluster."""
    names = sorted({g.name for m in members for g in m.parameter_groups})
    result: dict[str, AwsParameterGroup] = {}
    source = {"Source": "user"} if only_overrides else {}
    for name in names:
        groups = api.guard(
            "aws.parameter_groups",
            "rds",
            partial(
                api.pages,
                api.rds,
                "describe_db_parameter_groups",
                "DBParameterGroups",
                DBParameterGroupName=name,
            ),
        )
        parameters = api.guard(
            "aws.instance_parameters",
            "rds",
            partial(
                api.pages,
                api.rds,
                "describe_db_parameters",
                "Parameters",
                DBParameterGroupName=name,
                **source,
            ),
        )
        cdc = None if parameters is None else _cdc_parameters(parameters)
        if cdc is not None and only_overrides:
            cdc = {k: p for k, p in cdc.items() if is_override(p)}
        result[name] = AwsParameterGroup(
            name=name,
            family=groups[0].get("DBParameterGroupFamily") if groups else None,
            parameters=cdc,
        )
    return result


def _events(
    api: _Api, sources: list[tuple[str, str]], start: datetime, end: datetime
) -> list[AwsEvent] | None:
    """Events of the cluster and its instances in the window (filtered here too: moto
    ignores the time window)."""
    events: list[AwsEvent] = []
    for source_type, source_id in sources:
        raws = api.guard(
            "aws.events",
            "rds",
            partial(
                api.pages,
                api.rds,
                "describe_events",
                "Events",
                SourceType=source_type,
                SourceIdentifier=source_id,
                StartTime=start,
                EndTime=end,
            ),
        )
        if raws is None:
            return None
        events.extend(
            AwsEvent(
                date=raw["Date"].astimezone(UTC),
                source_type=raw.get("SourceType"),
                source_id=raw.get("SourceIdentifier"),
                categories=list(raw.get("EventCategories") or []),
                message=raw.get("Message", ""),
            )
            for raw in raws
            if start <= raw["Date"] <= end
        )
    return sorted(events, key=lambda e: e.date)


def metric_period(start: datetime, end: datetime) -> int:
    """Seconds per point: at most MAX_POINTS_PER_SERIES points, in CloudWatch's retention
    steps (60 s up to 15 days back, 300 s up to 63 days, 3600 s beyond)."""
    seconds = (end - start).total_seconds()
    step = 60 if seconds <= 15 * 86400 else 300 if seconds <= 63 * 86400 else 3600
    return max(step, math.ceil(seconds / MAX_POINTS_PER_SERIES / step) * step)


def _metrics(
    api: _Api, instance_id: str, start: datetime, end: datetime
) -> list[AwsMetricSeries] | None:
    period = metric_period(start, end)
    dimensions = [{"Name": "DBInstanceIdentifier", "Value": instance_id}]
    queries = [
        {
            "Id": f"m{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/RDS",
                    "MetricName": spec.name,
                    "Dimensions": dimensions,
                },
                "Period": period,
                "Stat": spec.statistic,
            },
            "ReturnData": True,
        }
        for i, spec in enumerate(METRICS)
    ]
    results = api.guard(
        "aws.metrics",
        "cloudwatch",
        lambda: api.pages(
            api.cloudwatch,
            "get_metric_data",
            "MetricDataResults",
            MetricDataQueries=queries,
            StartTime=start,
            EndTime=end,
            ScanBy="TimestampAscending",
        ),
    )
    if results is None:
        return None
    points: dict[str, list[tuple[datetime, float]]] = {}
    for result in results:
        points.setdefault(result["Id"], []).extend(
            (t.astimezone(UTC), v)
            for t, v in zip(result.get("Timestamps", []), result.get("Values", []), strict=True)
        )
    return [
        AwsMetricSeries(
            metric=spec.name,
            dimensions={"DBInstanceIdentifier": instance_id},
            statistic=spec.statistic,
            period_seconds=period,
            unit=spec.unit,
            points=sorted(points.get(f"m{i}", [])),
        )
        for i, spec in enumerate(METRICS)
    ]
