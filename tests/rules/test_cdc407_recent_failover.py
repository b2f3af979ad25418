"""CDC407: failover events in the look-back window."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import CollectionIssue
from rules.cdc407_recent_failover import recent_failover as rule
from tests.aws.builders import aurora_aws, aurora_facts, event, rds_aws, rds_facts
from tests.factories import aurora, facts, fix_text, rds, run


def test_pass_no_events() -> None:
    assert run(rule, aurora_facts()).status is Status.PASS


def test_pass_self_managed_without_aws_target() -> None:
    assert run(rule, facts()).status is Status.PASS


def test_pass_other_categories_only() -> None:
    aws = aurora_aws(
        events=[
            event("DB instance restarted", categories=["availability"]),
            event("Backing up DB instance", categories=["backup"]),
        ]
    )
    assert run(rule, aurora_facts(aws)).status is Status.PASS


def test_fail_aurora_failover_says_what_aws_documents() -> None:
    """Aurora: the same statement as CDC011, whatever the major version."""
    aws = aurora_aws(
        events=[
            event("Started cross AZ failover to DB instance: orders-1", hours_ago=5),
            event("Completed failover to DB instance: orders-1", hours_ago=4.99),
        ]
    )
    result = run(rule, aurora_facts(aws))
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.subject == "cluster:orders"
    assert finding.message.startswith("orders had 2 failover event(s) in the last 24 h")
    assert "Completed failover to DB instance: orders-1" in finding.message
    assert finding.evidence["server_major"] == 15
    assert "Aurora keeps WAL on the shared cluster volume" in finding.message
    assert "AWS does not state in so many words that logical slots survive" in finding.message
    assert len(finding.evidence["events"]) == 2
    assert finding.fix is not None and "aurora_db_instance_identifier()" in fix_text(finding)


def test_edge_rds_reasons_with_the_major_version() -> None:
    aws = rds_aws(events=[event("Multi-AZ instance failover completed", categories=["failover"])])
    [old] = run(rule, rds_facts(aws)).findings  # 16.3
    assert "PostgreSQL 16 does not synchronise slots to the new writer" in old.message
    new = rds_facts(aws, server=rds())  # 17.2
    [finding] = run(rule, new).findings
    assert finding.evidence["server_major"] == 17
    assert "synchronises to a read replica only slots created with failover" in finding.message
    assert "check that the connectors' slots exist" in finding.message
    aurora_17 = run(rule, aurora_facts(aurora_aws(events=aws.events), server=aurora()))
    assert "Aurora keeps WAL" in aurora_17.findings[0].message


def test_edge_global_failover_and_message_only_events_count() -> None:
    aws = rds_aws(
        events=[
            event("Global failover to DB cluster x started", categories=["global failover"]),
            event("Multi-AZ instance failover completed", categories=[]),
        ]
    )
    result = run(rule, rds_facts(aws))
    assert result.status is Status.FAIL
    assert result.findings[0].subject == "instance:billing"
    assert result.findings[0].fix is not None
    assert "aurora_db_instance_identifier" not in fix_text(result.findings[0])


def test_not_evaluated_when_events_denied() -> None:
    issue = CollectionIssue(family="aws.events", reason="rds:DescribeEvents denied")
    result = run(rule, aurora_facts(aurora_aws(events=None), issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == "rds:DescribeEvents denied"
