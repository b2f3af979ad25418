"""CDC311 replication-connection-fails: the audit's own replication connection, and pg_hba.conf
for the connector's role. The live half is in tests/collect/test_collect_replication.py."""

from __future__ import annotations

from typing import Any

from audit.engine import Severity, Status
from audit.facts import CollectionIssue
from audit.facts.connection import HbaRule
from rules.cdc311_replication_connection_fails import replication_connection_fails as RULE
from tests.factories import (
    connection_path,
    facts,
    fix_text,
    replication_connection,
    role,
    run,
)

REFUSED_BY_HBA = (
    'no pg_hba.conf entry for host "10.0.1.20", user "cdc", database "app", SSL encryption'
)


def _line(number: int, kind: str, database: str, user: str, **more: Any) -> HbaRule:
    values: dict[str, Any] = {
        "line_number": number,
        "type": kind,
        "database": [database],
        "user_name": [user],
        "auth_method": "scram-sha-256",
    }
    if kind != "local":
        values |= {"address": "10.0.1.0", "netmask": "255.255.255.0"}
    return HbaRule(**(values | more))


# The audit's own line, and the common mistake: a replication line written for the connector.
HBA = [
    _line(90, "local", "all", "all", auth_method="peer"),
    _line(91, "hostssl", "app", "cdc"),
    _line(92, "hostssl", "replication", "debezium"),
]


def test_pass_connection_opened_and_identified() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_pg_hba_refuses_with_the_line_as_evidence() -> None:
    probe = replication_connection(
        ok=False, stage="connect", error=REFUSED_BY_HBA, system_identifier=None, xlogpos=None
    )
    hba = [HBA[0], HBA[2]]  # no database line for the auditing role
    result = run(RULE, facts(replication_connection=probe, hba_rules=hba))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.subject == "replication-connection"
    assert finding.message == (
        f"a replication connection to database app as role cdc fails (connecting): {REFUSED_BY_HBA}"
    )
    assert finding.evidence["hba_line"] == "no line matches"
    text = fix_text(finding)
    assert "hostssl   app   cdc   10.0.1.20/32   scram-sha-256" in text
    assert "SELECT pg_reload_conf();" in text


def test_fail_max_wal_senders_and_identify_system_errors() -> None:
    senders = replication_connection(
        ok=False,
        stage="connect",
        error="number of requested standby connections exceeds max_wal_senders (currently 0)",
    )
    [finding] = run(RULE, facts(replication_connection=senders)).findings
    assert "max_wal_senders (currently 0)" in finding.message
    assert "raise max_wal_senders" in fix_text(finding)
    assert finding.evidence["hba_unread"] == "not collected"
    identify = replication_connection(
        ok=False, stage="identify_system", error="canceling statement", sqlstate="57014"
    )
    [finding] = run(RULE, facts(replication_connection=identify)).findings
    assert "(running IDENTIFY_SYSTEM): canceling statement" in finding.message
    assert finding.evidence["sqlstate"] == "57014"


def test_fail_connector_role_has_no_line_but_a_replication_one() -> None:
    """A `replication` line does not admit a logical replication connection."""
    the_facts = facts(hba_rules=HBA)
    result = run(RULE, the_facts, connector_role="debezium")
    [finding] = result.findings
    assert finding.subject == "role:debezium"
    assert finding.message == (
        "role debezium cannot open a replication connection to database app from host "
        "10.0.1.20 (the audit's address): no pg_hba.conf line admits it; the server would "
        'answer: no pg_hba.conf entry for host "10.0.1.20", user "debezium", database "app"'
    )
    admitted = [*HBA, _line(93, "hostssl", "all", "debezium")]
    assert run(RULE, facts(hba_rules=admitted), connector_role="debezium").status is Status.PASS


def test_fail_connector_role_meets_a_reject_line() -> None:
    hba = [_line(89, "host", "all", "debezium", auth_method="reject"), *HBA]
    [finding] = run(RULE, facts(hba_rules=hba), connector_role="debezium").findings
    assert "pg_hba.conf line 89: host all debezium 10.0.1.0/24 reject rejects it" in (
        finding.message
    )
    included = [_line(3, "host", "all", "all", auth_method="reject", file_name="/etc/hba.d/x")]
    [finding] = run(RULE, facts(hba_rules=included), connector_role="debezium").findings
    assert "line 3 (in /etc/hba.d/x): host all all 10.0.1.0/24 reject" in finding.message


def test_edge_transport_decides_the_line() -> None:
    """hostssl lines do not admit a session without SSL; local lines do not admit TCP."""
    plain = facts(hba_rules=HBA, connection_path=connection_path(ssl=False))
    assert run(RULE, plain, connector_role="cdc2").status is Status.FAIL
    socket = connection_path(server_addr=None, client_addr=None, host="/run/postgresql")
    local = facts(hba_rules=HBA, connection_path=socket)
    assert run(RULE, local, connector_role="debezium").status is Status.PASS  # local all all
    # the connector option naming the auditing role judges nothing more
    assert run(RULE, facts(hba_rules=[]), connector_role="cdc").status is Status.PASS


def test_edge_group_line_needs_memberships_only_for_another_role() -> None:
    hba = [_line(91, "hostssl", "app", "+cdc_users")]
    mine = facts(hba_rules=hba, role=role(member_of=["cdc_users"]))
    probe = replication_connection(ok=False, stage="connect", error="SSL error: bad record")
    [finding] = run(RULE, mine.model_copy(update={"replication_connection": probe})).findings
    assert finding.evidence["hba_line"] == (
        "line 91: hostssl app +cdc_users 10.0.1.0/24 scram-sha-256"
    )
    assert "sslmode and certificates" in fix_text(finding)
    other = run(RULE, facts(hba_rules=hba), connector_role="debezium")
    assert other.status is Status.NOT_EVALUATED
    assert "+cdc_users needs the role's memberships" in (other.reason or "")


def test_not_evaluated_role_without_replication_is_not_attempted() -> None:
    probe = replication_connection(
        attempted=False,
        ok=None,
        not_attempted_reason="not attempted: role cdc lacks REPLICATION",
        system_identifier=None,
        timeline=None,
        xlogpos=None,
        dbname=None,
    )
    result = run(RULE, facts(replication_connection=probe, role=role(replication=False)))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == "not attempted: role cdc lacks REPLICATION"


def test_not_evaluated_without_the_family_or_the_hba_file_for_a_connector_role() -> None:
    assert run(RULE, facts(replication_connection=None)).status is Status.NOT_EVALUATED
    unread = facts(issues=[CollectionIssue(family="hba_rules", reason="no privilege to read it")])
    result = run(RULE, unread, connector_role="debezium")
    assert result.status is Status.NOT_EVALUATED
    assert result.reason == (
        "pg_hba.conf could not be read (no privilege to read it): the connection of role "
        "debezium is not judged; the auditing role's works"
    )
