"""CDC020 dms-ddl-capture: awsdms_intercept_ddl must exist (or be creatable) and fire ALWAYS."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts.models import EventTrigger
from rules.cdc020_dms_ddl_capture import dms_ddl_capture as RULE
from tests.factories import facts, fix_text, role, run


def _trigger(enabled: str) -> EventTrigger:
    return EventTrigger(name="awsdms_intercept_ddl", event="ddl_command_end", enabled=enabled)


def test_pass_enabled_always() -> None:
    assert run(RULE, facts(event_triggers=[_trigger("always")]), "dms").status is Status.PASS


def test_fail_enabled_for_origin_only() -> None:
    [finding] = run(RULE, facts(event_triggers=[_trigger("origin")]), "dms").findings
    assert finding.message == (
        "awsdms_intercept_ddl is origin, not ENABLE ALWAYS: DDL applied by a replication session "
        "is not captured"
    )
    assert fix_text(finding) == "ALTER EVENT TRIGGER awsdms_intercept_ddl ENABLE ALWAYS;"
    assert finding.severity is None


def test_fail_disabled_is_high() -> None:
    [finding] = run(RULE, facts(event_triggers=[_trigger("disabled")]), "dms").findings
    assert finding.severity is Severity.HIGH


def test_edge_absent_trigger_depends_on_who_may_create_it() -> None:
    weak = facts(event_triggers=[], role=role())
    [finding] = run(RULE, weak, "dms").findings
    assert "may not create event triggers" in finding.message
    assert "CaptureDdls=false" in fix_text(finding)
    master = facts(event_triggers=[], role=role(member_of=["rds_superuser"]))
    assert run(RULE, master, "dms").status is Status.PASS
    assert run(RULE, facts(event_triggers=[], role=role(superuser=True)), "dms").status is (
        Status.PASS
    )
    assert not RULE.applies_to("debezium")


def test_not_evaluated_without_event_triggers() -> None:
    assert run(RULE, facts(event_triggers=None), "dms").status is Status.NOT_EVALUATED
