"""CDC410: a pending major version upgrade while logical slots exist."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts.aws import AwsFacts
from rules.cdc410_major_upgrade_with_slots import major_upgrade_with_slots as rule
from tests.aws.builders import (
    WRITER,
    aurora_aws,
    aurora_facts,
    rds_aws,
    rds_facts,
    with_cluster,
    with_member,
)
from tests.factories import facts, fix_text, physical_slot, run, slot


def _pending(version: str, current: str = "15.4") -> AwsFacts:
    return with_cluster(aurora_aws(), engine_version=current, pending_engine_version=version)


def test_pass_no_pending_upgrade() -> None:
    assert run(rule, aurora_facts(slots=[slot()])).status is Status.PASS


def test_pass_self_managed_without_aws_target() -> None:
    assert run(rule, facts(slots=[slot()])).status is Status.PASS


def test_fail_major_upgrade_with_a_logical_slot_before_17() -> None:
    the_facts = aurora_facts(_pending("16.4"), slots=[slot("debezium"), physical_slot()])
    result = run(rule, the_facts)
    assert result.status is Status.FAIL
    finding = result.findings[0]
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.subject == "cluster:orders"
    assert finding.evidence["logical_slots"] == ["debezium"]
    assert "precheck refuses to start" in finding.message
    assert finding.fix is not None
    assert "SELECT pg_drop_replication_slot('debezium');" in fix_text(finding)


def test_fail_rds_instance_pending_major_upgrade() -> None:
    aws = with_member(rds_aws(), "billing", pending_engine_version="17.2")
    result = run(rule, rds_facts(aws, slots=[slot("dms_slot")]))
    assert result.status is Status.FAIL
    assert result.findings[0].subject == "instance:billing"


def test_edge_from_17_the_slots_can_stay_and_it_is_medium() -> None:
    aws = with_cluster(aurora_aws(), engine_version="17.4", pending_engine_version="18.1")
    aws = with_member(aws, WRITER, engine_version="17.4")
    result = run(rule, aurora_facts(aws, slots=[slot()]))
    assert result.status is Status.FAIL
    assert result.severity_of(result.findings[0]) is Severity.MEDIUM
    assert "upgrade fails offline" in result.findings[0].message


def test_edge_minor_upgrade_or_no_logical_slot_passes() -> None:
    assert run(rule, aurora_facts(_pending("15.7"), slots=[slot()])).status is Status.PASS
    assert run(rule, aurora_facts(_pending("16.4"), slots=[physical_slot()])).status is (
        Status.PASS
    )


def test_not_evaluated_when_slots_unknown_and_a_major_upgrade_is_pending() -> None:
    result = run(rule, aurora_facts(_pending("16.4"), slots=None))
    assert result.status is Status.NOT_EVALUATED
