"""CDC409: free storage runs out within three days at the observed rate."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import CollectionIssue, Facts
from audit.facts.aws import AwsMetricSeries
from rules.cdc409_storage_runway_short import storage_runway_short as rule
from tests.aws.builders import aurora_aws, aurora_facts, rds_aws, rds_facts, series
from tests.factories import facts, fix_text, run

GIB = 1024**3


def _rds(*metrics: AwsMetricSeries) -> Facts:
    return rds_facts(rds_aws(metrics=list(metrics)))


def free(
    values: list[float], name: str = "FreeStorageSpace", instance: str = "billing"
) -> AwsMetricSeries:
    return series(name, values, instance=instance, statistic="Minimum")


def test_pass_plenty_of_runway() -> None:
    the_facts = _rds(free([500 * GIB - i * 0.1 * GIB for i in range(25)]))
    assert run(rule, the_facts).status is Status.PASS


def test_pass_self_managed_without_aws_target() -> None:
    assert run(rule, facts()).status is Status.PASS


def test_fail_free_storage_falling_fast() -> None:
    # 100 GiB free, falling 2 GiB/h: 50 h of runway
    the_facts = _rds(free([148 * GIB - i * 2 * GIB for i in range(25)]))
    result = run(rule, the_facts)
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.subject == "metric:billing/FreeStorageSpace"
    assert finding.evidence["runway_hours"] == 50.0
    assert "about 2.08 d of runway" in finding.message
    assert finding.fix is not None and "--max-allocated-storage" in fix_text(finding)


def test_fail_retained_wal_growth_outpaces_a_flat_free_series() -> None:
    """Free space can look flat between autoscaling steps; retention growth still counts."""
    the_facts = _rds(
        free([40 * GIB] * 25),
        series("TransactionLogsDiskUsage", [i * GIB for i in range(25)], instance="billing"),
    )
    result = run(rule, the_facts)
    assert result.status is Status.FAIL
    assert result.findings[0].evidence["runway_hours"] == 40.0


def test_edge_aurora_local_storage_counts_only_its_own_decline() -> None:
    aws = aurora_aws(
        metrics=[
            free([60 * GIB] * 25, name="FreeLocalStorage", instance="orders-1"),
            series("TransactionLogsDiskUsage", [i * 10 * GIB for i in range(25)]),
        ]
    )
    assert run(rule, aurora_facts(aws)).status is Status.PASS
    falling = aurora_aws(
        metrics=[free([30 * GIB - i * GIB for i in range(25)], "FreeLocalStorage", "orders-1")]
    )
    assert run(rule, aurora_facts(falling)).status is Status.FAIL


def test_edge_no_free_series_published() -> None:
    assert run(rule, aurora_facts()).status is Status.PASS


def test_not_evaluated_when_metrics_denied() -> None:
    issue = CollectionIssue(family="aws.metrics", reason="cloudwatch:GetMetricData denied")
    result = run(rule, aurora_facts(aurora_aws(metrics=None), issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
