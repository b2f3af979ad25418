"""CDC306 connection-headroom: the snapshot needs ordinary connections."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc306_connection_headroom import connection_headroom as RULE
from tests.factories import database, facts, fix_text, run, server, setting, settings


def test_pass_plenty() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_dms_full_load_needs_more() -> None:
    the_facts = facts(databases=[database(connections=90)])
    result = run(RULE, the_facts, "dms")
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        "max_connections is 100 with 3 reserved and 90 in use: 7 free, 9 needed for 1 dms "
        "connector(s)' snapshot connections: raise it to 112"
    )
    assert finding.fix is not None
    assert "ALTER SYSTEM SET max_connections = 112;" in fix_text(finding)


def test_fail_full_is_critical() -> None:
    result = run(RULE, facts(databases=[database(connections=97)]))
    assert result.severity_of(result.findings[0]) is Severity.CRITICAL


def test_edge_native_needs_no_ordinary_connection_on_12_plus() -> None:
    the_facts = facts(databases=[database(connections=97)])
    assert run(RULE, the_facts, "native").status is Status.PASS
    old = facts(server=server(version="11.22", version_num=110022), databases=the_facts.databases)
    assert run(RULE, old, "native").status is Status.FAIL


def test_edge_reserved_connections_of_16_count() -> None:
    the_settings = settings(reserved_connections="5")
    the_facts = facts(settings=the_settings, databases=[database(connections=91)])
    assert run(RULE, the_facts).status is Status.FAIL


def test_fail_staged_value_that_restores_headroom_makes_the_fix_a_restart() -> None:
    """A real server (tests/test_catalogue_live.py): 10 running, 120 staged, 6 in use."""
    staged = setting("max_connections", "10", pending_restart=True, pending_value="120")
    the_facts = facts(
        settings=settings(max_connections=staged), databases=[database(connections=6)]
    )
    [finding] = run(RULE, the_facts).findings
    assert finding.message == (
        "max_connections is 10 with 3 reserved and 6 in use: 1 free, 2 needed for 1 debezium "
        "connector(s)' snapshot connections; 120 is staged in a configuration file and applies "
        "at the next restart, which resolves this finding"
    )
    assert finding.fix is not None
    assert [s.restarts for s in finding.fix.steps] == [None, "server"]


def test_edge_staged_value_too_low_is_reported_before_the_restart() -> None:
    staged = setting("max_connections", "100", pending_restart=True, pending_value="50")
    the_facts = facts(
        settings=settings(max_connections=staged), databases=[database(connections=46)]
    )
    [finding] = run(RULE, the_facts).findings
    assert finding.message == (
        "max_connections is 100, but 50 is staged in a configuration file: after the next "
        "restart 1 free with 3 reserved and 46 in use, 2 needed for 1 debezium connector(s)' "
        "snapshot connections"
    )
    assert finding.fix is not None
    # the running 100 is enough: the recommendation keeps it instead of the staged 50
    assert "ALTER SYSTEM SET max_connections = 100;" in fix_text(finding)


def test_edge_staged_value_with_headroom_passes() -> None:
    staged = setting("max_connections", "100", pending_restart=True, pending_value="200")
    assert run(RULE, facts(settings=settings(max_connections=staged))).status is Status.PASS


def test_not_evaluated_when_connection_counts_are_unknown() -> None:
    the_facts = facts(databases=[database(connections=None)])
    assert run(RULE, the_facts).status is Status.NOT_EVALUATED


def test_not_evaluated_without_databases() -> None:
    assert run(RULE, facts(databases=None)).status is Status.NOT_EVALUATED
