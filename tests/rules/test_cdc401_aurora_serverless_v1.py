"""CDC401: Aurora Serverless v1 cannot do logical replication."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts.aws import AwsServerlessV2
from rules._aws_facts import aws_facts_for
from rules.cdc401_aurora_serverless_v1 import aurora_serverless_v1 as rule
from tests.aws.builders import (
    READER,
    WRITER,
    aurora_aws,
    aurora_facts,
    rds_facts,
    with_cluster,
    with_member,
)
from tests.factories import aurora, facts, fix_text, run


def test_pass_provisioned_cluster() -> None:
    assert run(rule, aurora_facts()).status is Status.PASS


def test_pass_self_managed_without_aws_target() -> None:
    assert aws_facts_for(facts()) is None
    assert run(rule, facts()).status is Status.PASS


def test_fail_serverless_v1() -> None:
    aws = with_cluster(aurora_aws(), engine_mode="serverless")
    result = run(rule, aurora_facts(aws))
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert finding.subject == "cluster:orders"
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.evidence["engine_mode"] == "serverless"
    assert finding.fix is not None and "--engine-mode provisioned" in fix_text(finding)


def test_edge_serverless_v2_passes() -> None:
    aws = with_cluster(
        aurora_aws(), serverless_v2=AwsServerlessV2(min_capacity=0.5, max_capacity=16)
    )
    aws = with_member(aws, WRITER, instance_class="db.serverless")
    aws = with_member(aws, READER, instance_class="db.serverless")
    assert run(rule, aurora_facts(aws)).status is Status.PASS


def test_edge_rds_instance_has_no_engine_mode_to_check() -> None:
    assert run(rule, rds_facts()).status is Status.PASS


def test_not_evaluated_without_engine_mode() -> None:
    aws = with_cluster(aurora_aws(), engine_mode=None)
    result = run(rule, aurora_facts(aws))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None and "EngineMode" in result.reason


def test_not_evaluated_on_aurora_without_aws_facts() -> None:
    result = run(rule, facts(server=aurora()))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None and "--aws-region" in result.reason
