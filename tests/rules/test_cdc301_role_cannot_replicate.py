"""CDC301 role-cannot-replicate: slots need REPLICATION (or rds_replication on AWS)."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc301_role_cannot_replicate import role_cannot_replicate as RULE
from tests.factories import aurora, facts, fix_text, rds, role, run


def test_pass_replication_attribute() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_pass_superuser() -> None:
    assert run(RULE, facts(role=role(replication=False, superuser=True))).status is Status.PASS


def test_pass_rds_replication_membership_on_rds() -> None:
    the_facts = facts(server=rds(), role=role(replication=False, member_of=["rds_replication"]))
    assert run(RULE, the_facts).status is Status.PASS


def test_fail_plain_role_self_managed() -> None:
    result = run(RULE, facts(role=role(name="cdc", replication=False)))
    [finding] = result.findings
    assert finding.subject == "role:cdc"
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        "role cdc has no REPLICATION: it cannot create or stream from a slot"
    )
    assert fix_text(finding) == "ALTER ROLE cdc WITH REPLICATION;"


def test_fail_aurora_fix_is_rds_replication() -> None:
    the_facts = facts(server=aurora(), role=role(name="Dbz", replication=False))
    [finding] = run(RULE, the_facts).findings
    assert fix_text(finding) == 'GRANT rds_replication TO "Dbz";  -- as the master user'


def test_edge_rds_replication_name_means_nothing_off_aws() -> None:
    """A self-managed role called rds_replication grants no replication privilege."""
    the_facts = facts(role=role(replication=False, member_of=["rds_replication"]))
    assert run(RULE, the_facts).status is Status.FAIL


def test_not_evaluated_without_role() -> None:
    assert run(RULE, facts(role=None)).status is Status.NOT_EVALUATED
