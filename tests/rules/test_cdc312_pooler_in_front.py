"""CDC312 pooler-in-front: signs of a pooler, proxy or forwarded port between the audit and the
server. The live half (a TCP forwarder in front of a real server) is in
tests/collect/test_collect_replication.py."""

from __future__ import annotations

import pytest

from audit.engine import Severity, Status
from rules.cdc312_pooler_in_front import pooler_in_front as RULE
from tests.factories import connection_path, facts, run


def test_pass_straight_to_the_server() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_transaction_pooler_changes_the_backend() -> None:
    path = connection_path(port=6432, protocol_pid=1234567, backend_pids=[4242, 4377])
    result = run(RULE, facts(connection_path=path))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.subject == "endpoint:10.0.0.5:6432"
    assert finding.evidence["signs"] == [
        "transaction_pooling",
        "protocol_pid_differs",
        "port_forwarded",
    ]
    assert finding.message.startswith(
        "10.0.0.5:6432 is not the server itself: pg_backend_pid() changed between transactions "
        "of one session (4242 then 4377): a transaction pooler; the startup's process ID "
        "1234567 is not the server's pg_backend_pid() 4242: a pooler answered the connection; "
        "port 6432 was connected to but the server accepted on 5432"
    )


def test_fail_session_pooler_answers_the_startup() -> None:
    result = run(RULE, facts(connection_path=connection_path(protocol_pid=98765)))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.evidence["signs"] == ["protocol_pid_differs"]


@pytest.mark.parametrize(
    ("host", "severity", "what"),
    [
        (
            "orders.proxy-c0ffee123abc.eu-west-1.rds.amazonaws.com",
            Severity.CRITICAL,
            "an Amazon RDS Proxy endpoint",
        ),
        ("aws-0-eu-central-1.pooler.supabase.com", Severity.HIGH, "Supavisor"),
        ("ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech", Severity.HIGH, "Neon pooled"),
    ],
)
def test_fail_known_pooler_and_proxy_host_names(host: str, severity: Severity, what: str) -> None:
    path = connection_path(host=host, server_addr="10.0.3.7")
    result = run(RULE, facts(connection_path=path))
    [finding] = result.findings
    assert result.severity_of(finding) is severity
    assert what in finding.message
    assert finding.evidence["signs"] == ["known_endpoint"]


def test_edge_forwarded_port_or_address_is_only_a_warning() -> None:
    """A container port mapping looks like this too: low, with the evidence."""
    forwarded = run(RULE, facts(connection_path=connection_path(port=15432)))
    [finding] = forwarded.findings
    assert forwarded.severity_of(finding) is Severity.LOW
    assert finding.evidence["server_port"] == 5432
    nat = run(RULE, facts(connection_path=connection_path(host="203.0.113.9")))
    assert nat.findings[0].evidence["signs"] == ["address_forwarded"]
    bouncer_port = connection_path(port=6432, server_port=6432, port_setting=6432)
    assert run(RULE, facts(connection_path=bouncer_port)).findings[0].severity is Severity.LOW


def test_edge_no_false_alarm_for_names_sockets_and_loopback() -> None:
    """A host name is not resolved; a socket has no addresses; 127.0.0.1 and ::1 are one host."""
    for path in (
        connection_path(host="db.internal.example", server_addr="10.0.0.5"),
        connection_path(host="/var/run/postgresql", server_addr=None, server_port=None),
        connection_path(host="localhost", server_addr="::1"),
        connection_path(host="127.0.0.1", server_addr="::1"),
        connection_path(host="mydb.cluster-c0ffee123abc.eu-west-1.rds.amazonaws.com"),
        connection_path(backend_pids=[4242]),
    ):
        assert run(RULE, facts(connection_path=path)).status is Status.PASS, path


def test_not_evaluated_without_connection_path() -> None:
    """A facts file written before the family existed, or a session that could not read it."""
    assert run(RULE, facts(connection_path=None)).status is Status.NOT_EVALUATED
