"""Collecting as a role with only LOGIN and pg_monitor, plus the SELECT grants a user gives."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from collect_support import READABLE_TABLES, expected_methods

from audit.demo.localpg import LocalPostgres
from audit.facts import Facts

pytestmark = pytest.mark.pg

FAMILIES = {
    "server", "settings", "tables", "slots", "role", "sampling", "current_wal_lsn", "databases",
    "wal_stats", "slot_stats", "senders", "publications", "extensions", "sessions",
    "prepared_xacts", "large_objects", "sequences", "event_triggers", "other_relations",
    "connection_path", "replication_connection",
}  # fmt: skip


@pytest.fixture
def monitor_facts(
    pg_server: LocalPostgres,
    schema_db: str,
    audit_role: Callable[..., tuple[str, str]],
    collect_from: Callable[..., Facts],
) -> Facts:
    user, password = audit_role(
        pg_server,
        schema_db,
        "IN ROLE pg_monitor",
        grants=(
            "GRANT USAGE ON SCHEMA app TO {role}",
            f"GRANT SELECT ON {READABLE_TABLES} TO {{role}}",
        ),
    )
    return collect_from(
        pg_server, schema_db, user=user, password=password, sample_seconds=0.4, interval=0.2
    )


def test_every_family_is_collected_without_superuser(
    monitor_facts: Facts, pg_server: LocalPostgres
) -> None:
    facts = monitor_facts
    not_before_14 = {"wal_stats", "slot_stats"}
    for family in sorted(FAMILIES - not_before_14):
        assert getattr(facts, family) is not None, family
    # pg_walinspect is not installed in the audited database
    # pg_hba_file_rules is for superusers only by default; the output plugin libraries are
    # looked for with pg_stat_file: superuser only by default
    expected_issues = {"settings.pending", "walinspect", "hba_rules", "output_plugins"}
    if pg_server.version_num < 140000:
        expected_issues |= {"sampling.pg_stat_wal", *not_before_14}
    else:
        assert facts.wal_stats is not None
        assert facts.slot_stats is not None
    assert {i.family for i in facts.issues} == expected_issues
    assert facts.sampling is not None
    assert facts.sampling.methods == expected_methods(pg_server)
    assert facts.server.system_identifier is not None


def test_pending_settings_need_more_than_pg_monitor(monitor_facts: Facts) -> None:
    # pg_monitor includes pg_read_all_settings, which does not cover pg_file_settings
    issue = monitor_facts.issue_for("settings.pending")
    assert issue is not None
    assert issue.reason == "permission denied for view pg_file_settings"
    assert issue.hint is not None
    assert "pg_show_all_file_settings" in issue.hint
    assert monitor_facts.settings is not None
    assert monitor_facts.settings["wal_level"].value == "replica"


def test_can_select_follows_the_grants(monitor_facts: Facts) -> None:
    assert monitor_facts.tables is not None
    unreadable = sorted(t.qualified_name for t in monitor_facts.tables if not t.can_select)
    assert unreadable == ["app.secret"]
    assert all(t.can_select is not None for t in monitor_facts.tables)


def test_row_widths_need_select_on_the_table(
    pg_server: LocalPostgres,
    schema_db: str,
    audit_role: Callable[..., tuple[str, str]],
    collect_from: Callable[..., Facts],
) -> None:
    """pg_stats hides the columns a role cannot read: the width falls back to size / tuples."""
    user, password = audit_role(pg_server, schema_db, "IN ROLE pg_monitor")
    facts = collect_from(pg_server, schema_db, user=user, password=password)
    assert facts.tables is not None
    with_pk = next(t for t in facts.tables if t.qualified_name == "app.with_pk")
    assert (with_pk.can_select, with_pk.row_width_source) == (False, "size/tuples")


def test_role_attributes_and_memberships(monitor_facts: Facts) -> None:
    role = monitor_facts.role
    assert role is not None
    assert (role.superuser, role.replication, role.bypass_rls) == (False, False, False)
    assert role.member_of == [
        "pg_monitor", "pg_read_all_settings", "pg_read_all_stats", "pg_stat_scan_tables",
    ]  # fmt: skip
    assert role.can_create_on_database is False


def test_superuser_role(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    role = collect_from(pg_server, fresh_db).role
    assert role is not None
    assert (role.name, role.superuser, role.replication, role.member_of) == (
        "postgres", True, True, [],
    )  # fmt: skip
    assert role.can_create_on_database is True
