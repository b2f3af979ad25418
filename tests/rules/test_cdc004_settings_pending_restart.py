"""CDC004 settings-pending-restart: staged values the running server has not applied."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.remedy import ChangeWindow
from rules.cdc004_settings_pending_restart import settings_pending_restart as RULE
from tests.factories import aurora, facts, run, setting, settings


def test_pass_nothing_staged() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_cdc_setting_waiting_for_a_restart() -> None:
    staged = setting(
        "max_worker_processes",
        "8",
        pending_restart=True,
        pending_value="16",
        pending_source="/etc/postgresql/postgresql.conf:120",
    )
    result = run(RULE, facts(settings=settings(max_worker_processes=staged)))
    [finding] = result.findings
    assert finding.subject == "setting:max_worker_processes"
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message == (
        "max_worker_processes is '8'; '16' is staged in /etc/postgresql/postgresql.conf:120 "
        "and applies at the next restart"
    )
    assert finding.fix is not None
    assert finding.fix.window is ChangeWindow.RESTART
    assert finding.fix.steps[-1].restarts == "server"


def test_fail_reload_setting_not_reloaded_says_reload() -> None:
    staged = setting("wal_sender_timeout", "60000", pending_value="30s")
    [finding] = run(RULE, facts(settings=settings(wal_sender_timeout=staged))).findings
    assert "applies at the next reload" in finding.message
    assert finding.message.startswith("wal_sender_timeout is 60000 ms;")
    assert finding.fix is not None
    assert finding.fix.window is ChangeWindow.RELOAD
    assert finding.fix.steps[-1].text == "SELECT pg_reload_conf();"


def test_fail_other_settings_are_grouped_as_low() -> None:
    the_settings = settings(
        {
            "shared_buffers": setting("shared_buffers", "16384", pending_restart=True),
            "work_mem": setting("work_mem", "4096", pending_value="64MB"),
        }
    )
    result = run(RULE, facts(settings=the_settings))
    [finding] = result.findings
    assert finding.subject == "settings:pending"
    assert result.severity_of(finding) is Severity.LOW
    assert finding.message == (
        "2 other setting(s) wait for a restart or reload: shared_buffers, work_mem"
    )


def test_fail_rejected_value_is_high() -> None:
    bad = setting(
        "logical_decoding_work_mem",
        "65536",
        pending_value="lots",
        pending_source="postgresql.auto.conf:4",
        pending_error="invalid value for parameter",
    )
    result = run(RULE, facts(settings=settings(logical_decoding_work_mem=bad)))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert "is rejected (invalid value for parameter)" in finding.message


def test_edge_settings_with_their_own_rules_are_left_to_them() -> None:
    """wal_level, slots, senders, connections and rds.logical_replication: CDC001-3, CDC306."""
    the_settings = settings(
        {"rds.logical_replication": setting("rds.logical_replication", "0", pending_restart=True)},
        wal_level=setting("wal_level", "replica", pending_value="logical", pending_restart=True),
        max_replication_slots=setting("max_replication_slots", "10", pending_restart=True),
        max_connections=setting("max_connections", "10", pending_value="120", pending_restart=True),
    )
    assert run(RULE, facts(server=aurora(), settings=the_settings)).status is Status.PASS


def test_edge_restart_waiting_message_is_not_a_rejection() -> None:
    staged = setting(
        "max_worker_processes",
        "8",
        pending_value="16",
        pending_error="setting could not be applied",
        context="postmaster",
    )
    result = run(RULE, facts(settings=settings(max_worker_processes=staged)))
    assert result.severity_of(result.findings[0]) is Severity.MEDIUM


def test_not_evaluated_without_settings() -> None:
    assert run(RULE, facts(settings=None)).status is Status.NOT_EVALUATED
