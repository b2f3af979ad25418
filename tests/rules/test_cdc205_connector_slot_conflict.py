"""CDC205 connector-slot-conflict: the planned slot.name is taken by an unusable slot."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import Facts
from audit.facts.models import Sender
from rules.cdc205_connector_slot_conflict import connector_slot_conflict as RULE
from tests.factories import facts, fix_text, physical_slot, run, slot


def test_pass_no_slot_of_that_name() -> None:
    assert run(RULE, facts(slots=[slot("other")])).status is Status.PASS


def test_pass_existing_matching_slot_is_resumed() -> None:
    resumable = slot("debezium", active=False, active_pid=None)
    assert run(RULE, facts(slots=[resumable])).status is Status.PASS


def test_fail_slot_of_another_database() -> None:
    result = run(RULE, facts(slots=[slot("debezium", database="reporting", active=False)]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        "slot debezium, the connector's slot.name, belongs to database reporting, not app"
    )
    assert finding.fix is not None
    assert fix_text(finding).endswith("SELECT pg_drop_replication_slot('debezium');")


def test_fail_other_plugin_and_physical() -> None:
    [wrong_plugin] = run(RULE, facts(slots=[slot(plugin="wal2json", active=False)])).findings
    assert "uses plugin wal2json, not pgoutput" in wrong_plugin.message
    [physical] = run(RULE, facts(slots=[physical_slot("debezium", active=False)])).findings
    assert "is a physical slot" in physical.message


def test_edge_slot_name_and_plugin_options() -> None:
    the_facts = facts(slots=[slot("orders_cdc", plugin="decoderbufs", active=False)])
    assert run(RULE, the_facts).status is Status.PASS
    assert run(RULE, the_facts, slot_name="orders_cdc").status is Status.FAIL
    assert run(RULE, the_facts, slot_name="orders_cdc", plugin="decoderbufs").status is Status.PASS


def test_edge_debezium_profile_only() -> None:
    assert RULE.profiles == ("debezium",)


def test_not_evaluated_without_slots() -> None:
    assert run(RULE, facts(slots=None)).status is Status.NOT_EVALUATED


def _streamed(**sender_overrides: object) -> Facts:
    consumer = Sender(
        pid=4242,
        **{
            "user": "etl",
            "application_name": "pg_recvlogical",
            "client_addr": "10.0.0.7",
            "state": "streaming",
            **sender_overrides,
        },
    )
    return facts(slots=[slot("debezium", active=True, active_pid=4242)], senders=[consumer])


def test_fail_slot_streamed_by_another_consumer() -> None:
    result = run(RULE, _streamed())
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        "slot debezium, the connector's slot.name, is in use by pg_recvlogical "
        "(pid 4242, user etl, from 10.0.0.7)"
    )
    assert finding.evidence["consumer"]["application_name"] == "pg_recvlogical"
    # a slot someone streams from is never dropped
    assert "pg_drop_replication_slot" not in fix_text(finding)
    assert "never drop" in fix_text(finding)


def test_pass_slot_streamed_by_the_connector_itself() -> None:
    the_facts = _streamed(application_name="Debezium Streaming")
    assert run(RULE, the_facts).status is Status.FAIL  # before the connector runs: another one
    running = run(RULE, the_facts, consumer_application_name="Debezium Streaming")
    assert running.status is Status.PASS
    other = run(RULE, _streamed(), consumer_application_name="Debezium Streaming")
    assert other.status is Status.FAIL


def test_edge_inactive_slot_and_wrong_database_in_use() -> None:
    inactive = facts(slots=[slot("debezium", active=False, active_pid=None)])
    assert run(RULE, inactive).status is Status.PASS
    both = facts(
        slots=[slot("debezium", database="reporting", active=True, active_pid=77)], senders=[]
    )
    [finding] = run(RULE, both).findings
    assert finding.message == (
        "slot debezium, the connector's slot.name, belongs to database reporting, not app "
        "and is in use by pid 77"
    )


def test_not_evaluated_when_the_consumer_cannot_be_seen() -> None:
    hidden = _streamed(application_name=None, user=None, client_addr=None)
    # before the connector runs, any consumer is another one: no need to see who
    assert run(RULE, hidden).status is Status.FAIL
    result = run(RULE, hidden, consumer_application_name="Debezium Streaming")
    assert result.status is Status.NOT_EVALUATED
    assert "pg_read_all_stats" in (result.reason or "")
