"""CDC011 slots-not-failover-ready: logical slots a promotion of the standby would lose."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc011_slots_not_failover_ready import slots_not_failover_ready as RULE
from tests.factories import aurora, facts, fix_text, physical_slot, rds, run, server, slot


def test_pass_failover_slot_on_17() -> None:
    the_facts = facts(slots=[physical_slot(), slot(failover=True)])
    assert run(RULE, the_facts).status is Status.PASS


def test_fail_non_failover_slot_with_a_standby_on_17() -> None:
    result = run(RULE, facts(slots=[physical_slot("standby1"), slot("it's", failover=False)]))
    [finding] = result.findings
    assert finding.subject == "slot:it's"
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message == (
        "slot it's is not a failover slot: a failover to the standby (standby1) loses it"
    )
    assert finding.fix is not None
    assert 'ALTER_REPLICATION_SLOT "it\'s" (FAILOVER true)' in fix_text(finding)
    assert "synchronized_standby_slots = 'standby1'" in fix_text(finding)


def test_fail_before_17_is_info() -> None:
    the_facts = facts(
        server=server(version="16.4", version_num=160004),
        slots=[physical_slot(), slot(failover=None)],
    )
    result = run(RULE, the_facts)
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.INFO
    assert finding.subject == "server:failover"


def test_edge_no_standby_means_no_failover_to_worry_about() -> None:
    assert run(RULE, facts(slots=[slot(failover=False)])).status is Status.PASS
    inactive_standby = physical_slot(active=False)
    assert run(RULE, facts(slots=[inactive_standby, slot(failover=False)])).status is (Status.PASS)


def test_edge_managed_platforms_are_skipped() -> None:
    the_facts = facts(server=aurora(), slots=[physical_slot(), slot(failover=False)])
    assert run(RULE, the_facts).status is Status.PASS


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED


def test_fail_rds_17_read_replica_uses_the_parameter_groups() -> None:
    """RDS for PostgreSQL 17 synchronizes failover slots to read replicas (AWS docs)."""
    the_facts = facts(server=rds(), slots=[physical_slot("rds_replica"), slot(failover=False)])
    [finding] = run(RULE, the_facts).findings
    text = fix_text(finding)
    assert "rds.logical_slot_sync_dbname" in text
    assert "ParameterName=synchronized_standby_slots" in text


def test_fix_names_what_the_standby_itself_needs() -> None:
    the_facts = facts(slots=[physical_slot("standby1"), slot(failover=False)])
    [finding] = run(RULE, the_facts).findings
    assert "primary_slot_name = 'standby1', and a dbname in primary_conninfo" in fix_text(finding)


def test_edge_rds_before_17_is_skipped() -> None:
    old = rds(version="16.4", version_num=160004)
    the_facts = facts(server=old, slots=[physical_slot(), slot(failover=None)])
    assert run(RULE, the_facts).status is Status.PASS
