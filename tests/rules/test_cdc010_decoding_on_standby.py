"""CDC010 decoding-on-standby: only a 16+ standby with feedback can host a logical slot safely."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc010_decoding_on_standby import decoding_on_standby as RULE
from tests.factories import aurora, facts, fix_text, run, server, setting, settings


def test_pass_primary() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_pass_standby_16_with_feedback_and_slot() -> None:
    the_settings = settings(
        {"primary_slot_name": setting("primary_slot_name", "standby1")},
        hot_standby_feedback="on",
    )
    assert run(RULE, facts(server=server(in_recovery=True), settings=the_settings)).status is (
        Status.PASS
    )


def test_fail_aurora_reader() -> None:
    result = run(RULE, facts(server=aurora(in_recovery=True)))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == "this is an Aurora reader: Aurora decodes on the writer only"


def test_fail_standby_before_16() -> None:
    standby = server(version="15.8", version_num=150008, in_recovery=True)
    result = run(RULE, facts(server=standby))
    assert result.severity_of(result.findings[0]) is Severity.CRITICAL


def test_fail_standby_without_feedback_is_high() -> None:
    result = run(RULE, facts(server=server(in_recovery=True)))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message.startswith("this is a standby and hot_standby_feedback is off")
    assert finding.fix is not None
    assert "ALTER SYSTEM SET hot_standby_feedback = on;" in fix_text(finding)


def test_edge_missing_primary_slot_is_reported_only_when_collected() -> None:
    the_settings = settings(
        {"primary_slot_name": setting("primary_slot_name", "")}, hot_standby_feedback="on"
    )
    [finding] = run(RULE, facts(server=server(in_recovery=True), settings=the_settings)).findings
    assert "no primary_slot_name" in finding.message
    assert run(
        RULE, facts(server=server(in_recovery=True), settings=settings(hot_standby_feedback="on"))
    ).status is (Status.PASS)


def test_not_evaluated_on_a_standby_without_hot_standby_feedback() -> None:
    the_facts = facts(server=server(in_recovery=True), settings=settings(hot_standby_feedback=None))
    assert run(RULE, the_facts).status is Status.NOT_EVALUATED


def test_not_evaluated_without_server() -> None:
    assert run(RULE, facts(server=None)).status is Status.NOT_EVALUATED
