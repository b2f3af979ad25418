"""CDC406: aurora.enhanced_logical_replication configured differently from what runs."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import Setting
from rules.cdc406_enhanced_logical_replication_change import (
    enhanced_logical_replication_change as rule,
)
from tests.aws.builders import (
    WRITER,
    aurora_aws,
    aurora_facts,
    parameter,
    rds_facts,
    with_cluster_parameters,
    with_member,
)
from tests.factories import facts, fix_text, run, settings, slot

ENHANCED = "aurora.enhanced_logical_replication"


def _settings(running: str | None) -> dict[str, Setting]:
    """SQL settings with logical replication on and ENHANCED running as given (None: absent)."""
    return settings({"rds.logical_replication": "on", ENHANCED: running})


def test_pass_configured_and_running_agree() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter(ENHANCED, "1"))
    assert run(rule, aurora_facts(aws, settings=_settings("on"))).status is Status.PASS


def test_pass_self_managed_without_aws_target() -> None:
    assert run(rule, facts()).status is Status.PASS


def test_fail_turned_on_in_the_group_but_off_on_the_writer() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter(ENHANCED, "1"))
    aws = with_member(aws, WRITER, cluster_pg_status="pending-reboot")
    the_facts = aurora_facts(aws, slots=[slot("debezium")], settings=_settings("off"))
    result = run(rule, the_facts)
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert result.severity_of(finding) is Severity.HIGH
    assert "invalidates every logical replication slot" in finding.message
    assert finding.evidence["logical_slots"] == ["debezium"]
    assert finding.fix is not None and "reboot-db-instance" in fix_text(finding)


def test_fail_unset_in_the_group_while_the_writer_runs_it_on() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter(ENHANCED, None, source="engine-default"))
    result = run(rule, aurora_facts(aws, settings=_settings("on")))
    assert result.status is Status.FAIL
    assert f"{ENHANCED} is off in" in result.findings[0].message


def test_edge_parameter_unknown_to_the_group_passes() -> None:
    """Families before aurora-postgresql16 do not have it."""
    assert run(rule, aurora_facts(settings=_settings(None))).status is Status.PASS


def test_edge_running_unknown_and_nothing_pending_passes() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter(ENHANCED, "1"))
    assert run(rule, aurora_facts(aws, settings=_settings(None))).status is Status.PASS


def test_edge_rds_has_no_such_parameter() -> None:
    assert run(rule, rds_facts()).status is Status.PASS


def test_not_evaluated_pending_change_with_running_value_unknown() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter(ENHANCED, "1"))
    aws = with_member(aws, WRITER, cluster_pg_status="pending-reboot")
    result = run(rule, aurora_facts(aws, settings=_settings(None)))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None and "running value was not collected" in result.reason
