"""CDC405: an Aurora DB parameter group overrides a CDC parameter of the cluster group."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import CollectionIssue
from audit.facts.aws import AwsParameterGroup, AwsParameterGroupStatus
from audit.remedy import ChangeWindow
from rules.cdc405_instance_parameter_override import instance_parameter_override as rule
from tests.aws.builders import (
    INSTANCE_GROUP,
    READER,
    aurora_aws,
    aurora_facts,
    parameter,
    rds_facts,
    with_cluster_parameters,
    with_instance_parameters,
    with_member,
)
from tests.factories import facts, run


def test_pass_no_overrides() -> None:
    assert run(rule, aurora_facts()).status is Status.PASS


def test_pass_self_managed_without_aws_target() -> None:
    assert run(rule, facts()).status is Status.PASS


def test_fail_writer_override_that_differs_is_medium() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter("max_wal_senders", "20"))
    aws = with_instance_parameters(aws, INSTANCE_GROUP, parameter("max_wal_senders", "5"))
    result = run(rule, aurora_facts(aws))
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert finding.subject == f"parameter:{INSTANCE_GROUP}/max_wal_senders"
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.evidence["cluster_value"] == "20"
    assert finding.evidence["members"] == ["orders-1", "orders-2"]
    assert finding.fix is not None
    reset, *reboots = finding.fix.steps
    assert reset.text == (
        f"aws rds reset-db-parameter-group --db-parameter-group-name {INSTANCE_GROUP} "
        "--parameters ParameterName=max_wal_senders,ApplyMethod=pending-reboot "
        "--region eu-west-1"
    )
    assert [r.restarts for r in reboots] == ["orders-1", "orders-2"]
    assert finding.fix.window is ChangeWindow.WRITER_REBOOT


def test_edge_reader_only_override_is_low() -> None:
    aws = with_member(
        aurora_aws(),
        READER,
        parameter_groups=[AwsParameterGroupStatus(name="reader-pg", apply_status="in-sync")],
    )
    groups = dict(aws.instance_parameter_groups or {})
    groups["reader-pg"] = AwsParameterGroup(
        name="reader-pg",
        parameters={"wal_sender_timeout": parameter("wal_sender_timeout", "0")},
    )
    aws = aws.model_copy(update={"instance_parameter_groups": groups})
    result = run(rule, aurora_facts(aws))
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert result.severity_of(finding) is Severity.LOW
    assert finding.evidence["members"] == [READER]
    assert "overrides the cluster group's default" in finding.message


def test_edge_same_value_on_the_writer_is_low() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter("max_wal_senders", "20"))
    aws = with_instance_parameters(aws, INSTANCE_GROUP, parameter("max_wal_senders", "20"))
    result = run(rule, aurora_facts(aws))
    assert result.severity_of(result.findings[0]) is Severity.LOW


def test_edge_writer_override_of_an_unset_cluster_value_is_low() -> None:
    aws = with_instance_parameters(
        aurora_aws(), INSTANCE_GROUP, parameter("logical_decoding_work_mem", "131072")
    )
    result = run(rule, aurora_facts(aws))
    assert result.status is Status.FAIL
    assert result.severity_of(result.findings[0]) is Severity.LOW


def test_edge_rds_instance_group_is_the_only_group() -> None:
    assert run(rule, rds_facts()).status is Status.PASS


def test_not_evaluated_when_instance_groups_unknown() -> None:
    aws = aurora_aws(instance_parameter_groups=None)
    issue = CollectionIssue(
        family="aws.instance_parameters", reason="rds:DescribeDBParameters denied"
    )
    result = run(rule, aurora_facts(aws, issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == "rds:DescribeDBParameters denied"
