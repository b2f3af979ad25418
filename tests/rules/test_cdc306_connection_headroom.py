"""CDC306 connection-headroom: the snapshot needs ordinary connections."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc306_connection_headroom import connection_headroom as RULE
from tests.factories import database, facts, run, server, settings


def test_pass_plenty() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_dms_full_load_needs_more() -> None:
    the_facts = facts(databases=[database(connections=90)])
    result = run(RULE, the_facts, "dms")
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        "max_connections is 100 with 3 reserved and 90 in use: 7 free, 9 needed for 1 dms "
        "connector(s)' snapshot connections"
    )
    assert finding.fix is not None
    assert "ALTER SYSTEM SET max_connections = 112;" in finding.fix


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


def test_not_evaluated_when_connection_counts_are_unknown() -> None:
    the_facts = facts(databases=[database(connections=None)])
    assert run(RULE, the_facts).status is Status.NOT_EVALUATED


def test_not_evaluated_without_databases() -> None:
    assert run(RULE, facts(databases=None)).status is Status.NOT_EVALUATED
