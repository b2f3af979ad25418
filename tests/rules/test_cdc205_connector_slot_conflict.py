"""CDC205 connector-slot-conflict: the planned slot.name is taken by an unusable slot."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc205_connector_slot_conflict import connector_slot_conflict as RULE
from tests.factories import facts, fix_text, physical_slot, run, slot


def test_pass_no_slot_of_that_name() -> None:
    assert run(RULE, facts(slots=[slot("other")])).status is Status.PASS


def test_pass_existing_matching_slot_is_resumed() -> None:
    assert run(RULE, facts(slots=[slot("debezium")])).status is Status.PASS


def test_fail_slot_of_another_database() -> None:
    result = run(RULE, facts(slots=[slot("debezium", database="reporting")]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        "slot debezium, the connector's slot.name, belongs to database reporting, not app"
    )
    assert finding.fix is not None
    assert fix_text(finding).endswith("SELECT pg_drop_replication_slot('debezium');")


def test_fail_other_plugin_and_physical() -> None:
    [wrong_plugin] = run(RULE, facts(slots=[slot(plugin="wal2json")])).findings
    assert "uses plugin wal2json, not pgoutput" in wrong_plugin.message
    [physical] = run(RULE, facts(slots=[physical_slot("debezium")])).findings
    assert "is a physical slot" in physical.message


def test_edge_slot_name_and_plugin_options() -> None:
    the_facts = facts(slots=[slot("orders_cdc", plugin="decoderbufs")])
    assert run(RULE, the_facts).status is Status.PASS
    assert run(RULE, the_facts, slot_name="orders_cdc").status is Status.FAIL
    assert run(RULE, the_facts, slot_name="orders_cdc", plugin="decoderbufs").status is Status.PASS


def test_edge_debezium_profile_only() -> None:
    assert RULE.profiles == ("debezium",)


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED
