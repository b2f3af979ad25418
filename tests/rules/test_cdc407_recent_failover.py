"""CDC407: failover events in the look-back window."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import CollectionIssue
from rules.cdc407_recent_failover import recent_failover as rule
from tests.aws.builders import aurora_aws, aurora_facts, event, rds_aws, rds_facts
from tests.factories import aurora, facts, fix_text, run


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


def test_fail_failover_on_pg15_warns_about_slots() -> None:
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
    assert "PostgreSQL 15 does not synchronise slots" in finding.message
    assert len(finding.evidence["events"]) == 2
    assert finding.fix is not None and "aurora_db_instance_identifier()" in fix_text(finding)


def test_edge_pg17_still_asks_to_check_the_slots() -> None:
    aws = aurora_aws(events=[event("Completed failover to DB instance: orders-1")])
    result = run(rule, aurora_facts(aws, server=aurora()))  # 17.2
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert finding.evidence["server_major"] == 17
    assert "PostgreSQL 17 synchronises only slots created with failover" in finding.message
    assert "check that the connectors' slots exist" in finding.message


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
