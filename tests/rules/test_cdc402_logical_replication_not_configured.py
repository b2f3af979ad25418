"""CDC402: rds.logical_replication is not 1 in the effective parameter group."""

from __future__ import annotations

from audit.engine import Status
from audit.facts import CollectionIssue
from rules.cdc402_logical_replication_not_configured import (
    logical_replication_not_configured as rule,
)
from tests.aws.builders import (
    CLUSTER_GROUP,
    INSTANCE_GROUP,
    RDS_GROUP,
    aurora_aws,
    aurora_facts,
    parameter,
    rds_aws,
    rds_facts,
    with_cluster,
    with_cluster_parameters,
    with_instance_parameters,
)
from tests.factories import facts, fix_text, run, settings


def test_pass_configured_on_aurora_and_rds() -> None:
    assert run(rule, aurora_facts()).status is Status.PASS
    assert run(rule, rds_facts()).status is Status.PASS


def test_pass_self_managed_without_aws_target() -> None:
    assert run(rule, facts()).status is Status.PASS


def test_fail_cluster_group_says_zero() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter("rds.logical_replication", "0"))
    the_facts = aurora_facts(aws, settings=settings({"rds.logical_replication": "off"}))
    result = run(rule, the_facts)
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert finding.subject == f"parameter:{CLUSTER_GROUP}/rds.logical_replication"
    assert finding.message == (
        f"rds.logical_replication is 0 in cluster parameter group {CLUSTER_GROUP}"
    )
    assert finding.fix is not None
    assert fix_text(finding).splitlines()[0] == (
        f"aws rds modify-db-cluster-parameter-group --db-cluster-parameter-group-name "
        f"{CLUSTER_GROUP} --parameters "
        "ParameterName=rds.logical_replication,ParameterValue=1,ApplyMethod=pending-reboot "
        "--region eu-west-1"
    )
    assert "aws rds reboot-db-instance --db-instance-identifier orders-1" in fix_text(finding)


def test_fail_unset_in_a_default_group_creates_a_custom_one() -> None:
    aws = with_cluster(aurora_aws(), parameter_group="default.aurora-postgresql15")
    group = aws.cluster_parameter_group
    assert group is not None
    aws = aws.model_copy(
        update={
            "cluster_parameter_group": group.model_copy(
                update={"name": "default.aurora-postgresql15", "parameters": {}}
            )
        }
    )
    result = run(rule, aurora_facts(aws, settings=settings({"rds.logical_replication": "off"})))
    assert result.status is Status.FAIL
    assert "not set (engine default 0)" in result.findings[0].message
    assert result.findings[0].fix is not None
    assert fix_text(result.findings[0]).startswith("aws rds create-db-cluster-parameter-group")


def test_fail_rds_instance_group() -> None:
    aws = with_instance_parameters(rds_aws(), RDS_GROUP, parameter("rds.logical_replication", "0"))
    result = run(rule, rds_facts(aws, settings=settings({"rds.logical_replication": "off"})))
    assert result.status is Status.FAIL
    assert result.findings[0].fix is not None
    assert "modify-db-parameter-group --db-parameter-group-name billing-pg16" in (
        fix_text(result.findings[0])
    )


def test_edge_writer_override_in_instance_group_wins() -> None:
    aws = with_instance_parameters(
        aurora_aws(), INSTANCE_GROUP, parameter("rds.logical_replication", "0")
    )
    result = run(rule, aurora_facts(aws))
    assert result.status is Status.FAIL
    assert result.findings[0].evidence["level"] == "instance"
    assert result.findings[0].evidence["parameter_group"] == INSTANCE_GROUP


def test_edge_configured_off_while_running_on_warns_about_the_next_reboot() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter("rds.logical_replication", "0"))
    result = run(rule, aurora_facts(aws))  # SHOW says on
    assert result.status is Status.FAIL
    assert "the next reboot turns logical decoding off" in result.findings[0].message


def test_not_evaluated_when_cluster_parameters_denied() -> None:
    group = aurora_aws().cluster_parameter_group
    assert group is not None
    aws = aurora_aws(cluster_parameter_group=group.model_copy(update={"parameters": None}))
    issue = CollectionIssue(
        family="aws.cluster_parameters", reason="rds:DescribeDBClusterParameters denied"
    )
    result = run(rule, aurora_facts(aws, issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == "rds:DescribeDBClusterParameters denied"


def test_not_evaluated_when_aws_target_could_not_be_read() -> None:
    issue = CollectionIssue(family="aws", reason="rds:DescribeDBClusters denied")
    result = run(rule, facts(issues=[issue]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None and "rds:DescribeDBClusters denied" in result.reason
