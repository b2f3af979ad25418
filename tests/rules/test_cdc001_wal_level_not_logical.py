"""CDC001 wal-level-not-logical: the one setting without which CDC cannot start."""

from __future__ import annotations

import pytest

from audit.engine import Severity, Status
from audit.facts.aws import AwsFacts
from audit.remedy import ChangeWindow
from rules.cdc001_wal_level_not_logical import wal_level_not_logical as RULE
from tests.factories import aurora, facts, fix_text, rds, run, server, setting, settings


def test_pass_logical() -> None:
    assert run(RULE, facts()).status is Status.PASS


@pytest.mark.parametrize("level", ["replica", "minimal"])
def test_fail_below_logical_is_critical(level: str) -> None:
    result = run(RULE, facts(settings=settings(wal_level=level)))
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert finding.subject == "setting:wal_level"
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == f"wal_level is {level}; logical decoding needs logical"
    assert finding.fix is not None
    assert "ALTER SYSTEM SET wal_level = logical;" in fix_text(finding)
    assert "restart" in fix_text(finding)


def test_fail_rds_fix_is_the_parameter_group() -> None:
    """On RDS wal_level cannot be set; rds.logical_replication and a reboot are the fix."""
    the_facts = facts(
        server=rds(),
        settings=settings({"rds.logical_replication": "off"}, wal_level="replica"),
    )
    [finding] = run(RULE, the_facts).findings
    assert finding.fix is not None
    assert "ParameterName=rds.logical_replication,ParameterValue=1" in fix_text(finding)
    assert "modify-db-parameter-group" in fix_text(finding)
    assert "ALTER SYSTEM" not in fix_text(finding)
    assert finding.evidence["rds.logical_replication"] == "off"


def test_fail_aurora_fix_is_the_cluster_parameter_group_and_writer_reboot() -> None:
    [finding] = run(RULE, facts(server=aurora(), settings=settings(wal_level="replica"))).findings
    assert finding.fix is not None
    assert "modify-db-cluster-parameter-group" in fix_text(finding)
    assert finding.fix.window is ChangeWindow.WRITER_REBOOT
    assert [s.restarts for s in finding.fix.steps if s.restarts] == ["<writer-instance>"]
    assert "ALTER SYSTEM" not in fix_text(finding)


def test_edge_staged_logical_asks_for_a_restart_not_a_change() -> None:
    staged = setting(
        "wal_level", "replica", pending_value="logical", pending_source="postgresql.auto.conf:3"
    )
    [finding] = run(RULE, facts(settings=settings(wal_level=staged))).findings
    assert "logical is staged in postgresql.auto.conf:3" in finding.message
    assert finding.fix is not None
    assert "wal_level = logical is already staged" in fix_text(finding)
    assert [s.restarts for s in finding.fix.steps] == [None, "server"]
    assert "ALTER SYSTEM" not in fix_text(finding)


def test_edge_staged_downgrade_is_reported_before_the_restart_breaks_cdc() -> None:
    staged = setting("wal_level", "logical", pending_value="replica")
    result = run(RULE, facts(settings=settings(wal_level=staged)))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert "the next restart turns logical decoding off" in finding.message


def test_edge_managed_server_with_control_plane_facts_is_left_to_cdc402_and_cdc403() -> None:
    """One problem, one finding: the AWS rules know the parameter group and its state."""
    the_facts = facts(
        server=aurora(), aws=AwsFacts(region="eu-west-1"), settings=settings(wal_level="replica")
    )
    assert run(RULE, the_facts).status is Status.PASS


def test_edge_unknown_platform_mentions_the_parameter_group() -> None:
    [finding] = run(RULE, facts(server=None, settings=settings(wal_level="replica"))).findings
    assert finding.fix is not None
    assert "rds.logical_replication = 1" in fix_text(finding)


def test_not_evaluated_without_settings() -> None:
    assert run(RULE, facts(settings=None)).status is Status.NOT_EVALUATED


def test_not_evaluated_when_wal_level_was_not_read() -> None:
    result = run(RULE, facts(settings=settings(wal_level=None)))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == "setting wal_level was not collected"


def _pg19(**settings_: str) -> dict[str, object]:
    return {"server": server(version="19.0", version_num=190000), "settings": settings(**settings_)}


def test_edge_pg19_replica_decodes_on_the_first_slot_and_is_no_blocker() -> None:
    """PostgreSQL 19: effective_wal_level goes to logical with the first logical slot."""
    the_facts = facts(**_pg19(wal_level="replica", effective_wal_level="replica"))  # type: ignore[arg-type]
    result = run(RULE, the_facts)
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.INFO
    assert finding.message.startswith(
        "wal_level is replica: PostgreSQL 19 raises effective_wal_level to logical when the "
        "first logical slot is created, without a restart"
    )
    assert finding.evidence["effective_wal_level"] == "replica"
    assert finding.fix is None


def test_fail_pg19_minimal_still_blocks() -> None:
    result = run(RULE, facts(**_pg19(wal_level="minimal")))  # type: ignore[arg-type]
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert "ALTER SYSTEM SET wal_level = logical;" in fix_text(finding)
