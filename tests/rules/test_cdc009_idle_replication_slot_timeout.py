"""CDC009 idle-replication-slot-timeout: a short timeout turns every pause into a re-snapshot."""

from __future__ import annotations

from audit.engine import Status
from rules.cdc009_idle_replication_slot_timeout import idle_replication_slot_timeout as RULE
from tests.factories import facts, fix_text, run, server, settings

PG18 = server(version="18.1", version_num=180001)


def test_pass_disabled_on_18() -> None:
    the_facts = facts(server=PG18, settings=settings(idle_replication_slot_timeout="0"))
    assert run(RULE, the_facts).status is Status.PASS


def test_fail_one_hour_on_18() -> None:
    the_facts = facts(server=PG18, settings=settings(idle_replication_slot_timeout="3600"))
    [finding] = run(RULE, the_facts).findings
    assert finding.subject == "setting:idle_replication_slot_timeout"
    assert finding.message == (
        "idle_replication_slot_timeout is 60 min: a slot whose connector pauses longer is "
        "invalidated (threshold 24 h)"
    )
    assert finding.fix is not None
    assert "ALTER SYSTEM SET idle_replication_slot_timeout = 0;" in fix_text(finding)


def test_edge_long_timeout_passes_and_threshold_is_an_option() -> None:
    the_facts = facts(server=PG18, settings=settings(idle_replication_slot_timeout="172800"))
    assert run(RULE, the_facts).status is Status.PASS
    assert run(RULE, the_facts, min_seconds=7 * 86_400).status is Status.FAIL


def test_edge_versions_before_18_have_no_such_setting() -> None:
    assert run(RULE, facts(settings=settings(idle_replication_slot_timeout=None))).status is (
        Status.PASS
    )


def test_not_evaluated_on_18_without_the_setting() -> None:
    the_facts = facts(server=PG18, settings=settings(idle_replication_slot_timeout=None))
    assert run(RULE, the_facts).status is Status.NOT_EVALUATED
