"""CDC403: rds.logical_replication configured but not applied on the writer."""

from __future__ import annotations

import pytest

from audit.engine import Severity, Status
from audit.facts.aws import AwsParameterGroupStatus
from rules.cdc403_logical_replication_pending_reboot import (
    logical_replication_pending_reboot as rule,
)
from tests.aws.builders import (
    INSTANCE_GROUP,
    WRITER,
    aurora_aws,
    aurora_facts,
    parameter,
    rds_facts,
    with_cluster,
    with_cluster_parameters,
    with_member,
)
from tests.factories import aurora, facts, fix_text, run, settings

NOT_APPLIED = settings({"rds.logical_replication": "off"}, wal_level="replica")


def test_pass_in_sync_and_running() -> None:
    assert run(rule, aurora_facts()).status is Status.PASS
    assert run(rule, rds_facts()).status is Status.PASS


def test_pass_self_managed_without_aws_target() -> None:
    assert run(rule, facts()).status is Status.PASS


def test_pass_not_configured_is_left_to_cdc402() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter("rds.logical_replication", "0"))
    assert run(rule, aurora_facts(aws, settings=NOT_APPLIED)).status is Status.PASS


def test_fail_writer_pending_reboot_gives_the_reboot_command_and_impact() -> None:
    aws = with_member(aurora_aws(), WRITER, cluster_pg_status="pending-reboot")
    result = run(rule, aurora_facts(aws, settings=NOT_APPLIED))
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.subject == f"instance:{WRITER}"
    assert "DBClusterParameterGroupStatus=pending-reboot" in finding.message
    assert "wal_level=replica" in finding.message
    assert finding.fix is not None
    lines = fix_text(finding).splitlines()
    assert lines[0] == (
        "aws rds reboot-db-instance --db-instance-identifier orders-1 --region eu-west-1"
    )
    assert "brief outage of the writer" in lines[1]
    assert "readers stay up" in lines[1]  # 15.4 has read availability


def test_fail_status_claims_in_sync_but_the_writer_runs_off() -> None:
    """Reconciliation: the running values win over an in-sync status."""
    result = run(rule, aurora_facts(settings=NOT_APPLIED))
    assert result.status is Status.FAIL
    assert result.findings[0].evidence["status"] == "in-sync"
    assert result.findings[0].evidence["running_rds_logical_replication"] == "off"


def test_fail_demo_custom_guc_off_with_wal_level_unknown() -> None:
    """The demo sets a custom `rds.logical_replication = off` GUC on community PostgreSQL."""
    the_facts = aurora_facts(settings=settings({"rds.logical_replication": "0"}, wal_level=None))
    assert run(rule, the_facts).status is Status.FAIL


@pytest.mark.parametrize("status", ["applying", "failed-to-apply", "pending-database-upgrade"])
def test_fail_any_status_but_in_sync_on_the_instance_group(status: str) -> None:
    aws = with_member(
        aurora_aws(),
        WRITER,
        parameter_groups=[AwsParameterGroupStatus(name=INSTANCE_GROUP, apply_status=status)],
    )
    result = run(rule, aurora_facts(aws, settings=None))  # only the status fields to go by
    assert result.status is Status.FAIL
    assert f"ParameterApplyStatus({INSTANCE_GROUP})={status}" in result.findings[0].message
    fix = fix_text(result.findings[0])
    assert fix is not None
    assert fix.startswith("# ParameterApplyStatus") is (status == "failed-to-apply")


def test_edge_pending_status_with_logical_decoding_running_is_another_parameter() -> None:
    aws = with_member(aurora_aws(), WRITER, cluster_pg_status="pending-reboot")
    assert run(rule, aurora_facts(aws)).status is Status.PASS  # SHOW says on and logical


def test_edge_old_aurora_reboots_the_readers_too() -> None:
    aws = with_cluster(aurora_aws(), engine_version="14.6")
    aws = with_member(aws, WRITER, cluster_pg_status="pending-reboot")
    result = run(rule, aurora_facts(aws, settings=NOT_APPLIED))
    assert result.findings[0].fix is not None
    assert "reboots every reader with it" in fix_text(result.findings[0])


def test_edge_rds_instance_pending_reboot() -> None:
    aws = rds_facts().aws
    assert aws is not None
    aws = with_member(
        aws,
        "billing",
        parameter_groups=[
            AwsParameterGroupStatus(name="billing-pg16", apply_status="pending-reboot")
        ],
    )
    result = run(rule, rds_facts(aws, settings=NOT_APPLIED))
    assert result.status is Status.FAIL
    assert result.findings[0].fix is not None
    assert "--db-instance-identifier billing" in fix_text(result.findings[0])
    assert "outage of the instance" in fix_text(result.findings[0])


def test_not_evaluated_in_sync_but_running_values_unknown() -> None:
    result = run(rule, aurora_facts(settings=None))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None and "settings were not collected" in result.reason


def test_not_evaluated_in_sync_when_connected_to_a_reader() -> None:
    the_facts = aurora_facts(server=aurora(in_recovery=True), settings=NOT_APPLIED)
    result = run(rule, the_facts)
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None and "reader" in result.reason


def test_edge_pending_status_fails_even_when_running_values_are_unknown() -> None:
    aws = with_member(aurora_aws(), WRITER, cluster_pg_status="pending-reboot")
    assert run(rule, aurora_facts(aws, settings=None)).status is Status.FAIL
