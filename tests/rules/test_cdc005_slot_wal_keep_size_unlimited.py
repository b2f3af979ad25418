"""CDC005 slot-wal-keep-size-unlimited: a stalled slot must not be able to fill the disk."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc005_slot_wal_keep_size_unlimited import slot_wal_keep_size_unlimited as RULE
from tests.factories import aurora, facts, fix_text, rds, run, server, settings


def test_pass_bounded() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_unlimited() -> None:
    result = run(RULE, facts(settings=settings(max_slot_wal_keep_size="-1")))
    [finding] = result.findings
    assert finding.subject == "setting:max_slot_wal_keep_size"
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message == (
        "max_slot_wal_keep_size is -1 (unlimited): a stalled slot retains WAL until the disk "
        "is full"
    )
    assert finding.fix is not None
    # the one recommended value (4 x max_wal_size 1GB here), not an example
    assert fix_text(finding).startswith("ALTER SYSTEM SET max_slot_wal_keep_size = '4GB';")
    assert "pg_reload_conf()" in fix_text(finding)


def test_fail_rds_fix_is_the_parameter_group_without_reboot() -> None:
    the_facts = facts(server=rds(), settings=settings(max_slot_wal_keep_size="-1"))
    [finding] = run(RULE, the_facts).findings
    assert finding.fix is not None
    assert "ApplyMethod=immediate" in fix_text(finding)
    assert "reboot" not in fix_text(finding)


def test_fail_postgresql_12_has_no_limit_at_all() -> None:
    the_facts = facts(
        server=server(version="12.20", version_num=120020),
        settings=settings(max_slot_wal_keep_size=None),
    )
    [finding] = run(RULE, the_facts).findings
    assert finding.message.startswith("PostgreSQL 12 has no max_slot_wal_keep_size")


def test_edge_aurora_costs_storage_not_an_outage() -> None:
    result = run(RULE, facts(server=aurora(), settings=settings(max_slot_wal_keep_size="-1")))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.LOW
    assert "cluster volume grows" in finding.message


def test_edge_zero_is_a_limit() -> None:
    """0 keeps no extra WAL for slots; it is not 'unlimited'."""
    assert run(RULE, facts(settings=settings(max_slot_wal_keep_size="0"))).status is Status.PASS


def test_not_evaluated_without_the_setting_on_13_plus() -> None:
    result = run(RULE, facts(settings=settings(max_slot_wal_keep_size=None)))
    assert result.status is Status.NOT_EVALUATED


def test_not_evaluated_without_server() -> None:
    assert run(RULE, facts(server=None)).status is Status.NOT_EVALUATED


def test_edge_native_fix_does_not_contradict_pg_createsubscriber() -> None:
    """pg_createsubscriber expects -1 on the publisher while it converts a standby."""
    unlimited = facts(settings=settings(max_slot_wal_keep_size="-1"))
    [native] = run(RULE, unlimited, "native").findings
    assert fix_text(native).startswith(
        "-- if the subscriber is built from a physical standby with pg_createsubscriber, keep -1"
    )
    [debezium] = run(RULE, unlimited).findings
    assert "pg_createsubscriber" not in fix_text(debezium)
