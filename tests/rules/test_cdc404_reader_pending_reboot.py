"""CDC404: an Aurora reader has unapplied parameter changes."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import CollectionIssue
from audit.facts.aws import AwsParameterGroupStatus
from audit.remedy import ChangeWindow
from rules.cdc404_reader_pending_reboot import reader_pending_reboot as rule
from tests.aws.builders import (
    INSTANCE_GROUP,
    READER,
    WRITER,
    aurora_aws,
    aurora_facts,
    rds_facts,
    with_cluster,
    with_member,
)
from tests.factories import facts, fix_text, run


def test_pass_every_reader_in_sync() -> None:
    assert run(rule, aurora_facts()).status is Status.PASS


def test_pass_self_managed_without_aws_target() -> None:
    assert run(rule, facts()).status is Status.PASS


def test_fail_reader_pending_reboot() -> None:
    aws = with_member(aurora_aws(), READER, cluster_pg_status="pending-reboot")
    result = run(rule, aurora_facts(aws))
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.subject == f"instance:{READER}"
    assert finding.evidence["status"] == {"DBClusterParameterGroupStatus": "pending-reboot"}
    assert finding.fix is not None
    [reboot] = finding.fix.steps
    assert reboot.text == (
        "aws rds reboot-db-instance --db-instance-identifier orders-2 --region eu-west-1"
    )
    assert reboot.restarts == "orders-2"
    assert reboot.window is ChangeWindow.RESTART


def test_edge_writer_pending_is_not_this_rules_concern() -> None:
    aws = with_member(aurora_aws(), WRITER, cluster_pg_status="pending-reboot")
    assert run(rule, aurora_facts(aws)).status is Status.PASS


def test_edge_instance_group_applying_on_an_old_version_notes_the_writer_reboot() -> None:
    aws = with_cluster(aurora_aws(), engine_version="13.9")
    aws = with_member(
        aws,
        READER,
        parameter_groups=[AwsParameterGroupStatus(name=INSTANCE_GROUP, apply_status="applying")],
    )
    result = run(rule, aurora_facts(aws))
    assert result.status is Status.FAIL
    assert result.findings[0].fix is not None
    assert "rebooting the writer reboots this reader too" in fix_text(result.findings[0])


def test_edge_rds_instance_has_no_readers() -> None:
    assert run(rule, rds_facts()).status is Status.PASS


def test_not_evaluated_when_aws_target_could_not_be_read() -> None:
    issue = CollectionIssue(family="aws", reason="no AWS credentials found")
    result = run(rule, facts(issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None and "no AWS credentials found" in result.reason
