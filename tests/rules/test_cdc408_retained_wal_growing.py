"""CDC408: replication slot lag or retained WAL grew over the look-back window."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import CollectionIssue
from rules.cdc408_retained_wal_growing import retained_wal_growing as rule
from tests.aws.builders import aurora_aws, aurora_facts, rds_aws, rds_facts, series
from tests.factories import facts, fix_text, run

MIB = 1024**2
GIB = 1024**3


def test_pass_flat_lag() -> None:
    aws = aurora_aws(metrics=[series("OldestReplicationSlotLag", [2 * MIB] * 25)])
    assert run(rule, aurora_facts(aws)).status is Status.PASS


def test_pass_self_managed_without_aws_target() -> None:
    assert run(rule, facts()).status is Status.PASS


def test_fail_slot_lag_growing_all_day() -> None:
    aws = aurora_aws(
        metrics=[series("OldestReplicationSlotLag", [i * 200 * MIB for i in range(25)])]
    )
    result = run(rule, aurora_facts(aws))
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.subject == "metric:orders-1/OldestReplicationSlotLag"
    assert finding.message == (
        "OldestReplicationSlotLag on orders-1 grew by 4.69 GiB in 24 h (200 MiB/h), now 4.69 GiB"
    )
    assert finding.evidence["slope_per_hour"] == 200 * MIB
    assert finding.fix is not None and "pg_replication_slots" in fix_text(finding)


def test_fail_rds_transaction_logs_growing() -> None:
    aws = rds_aws(
        metrics=[
            series(
                "TransactionLogsDiskUsage",
                [10 * GIB + i * 100 * MIB for i in range(13)],
                instance="billing",
                hours=12,
            )
        ]
    )
    result = run(rule, rds_facts(aws))
    assert [f.subject for f in result.findings] == ["metric:billing/TransactionLogsDiskUsage"]


def test_edge_lag_that_drained_again_is_not_growth() -> None:
    values = [i * 300 * MIB for i in range(20)] + [0.0] * 5
    aws = aurora_aws(metrics=[series("OldestReplicationSlotLag", values)])
    assert run(rule, aurora_facts(aws)).status is Status.PASS


def test_edge_aurora_minus_one_before_logical_replication_is_ignored() -> None:
    aws = aurora_aws(metrics=[series("TransactionLogsDiskUsage", [-1.0] * 25)])
    assert run(rule, aurora_facts(aws)).status is Status.PASS


def test_edge_write_throughput_is_not_retention() -> None:
    aws = aurora_aws(
        metrics=[series("WriteThroughput", [i * GIB for i in range(25)], unit="Bytes/Second")]
    )
    assert run(rule, aurora_facts(aws)).status is Status.PASS


def test_not_evaluated_when_metrics_denied() -> None:
    issue = CollectionIssue(family="aws.metrics", reason="cloudwatch:GetMetricData denied")
    result = run(rule, aurora_facts(aurora_aws(metrics=None), issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == "cloudwatch:GetMetricData denied"
