"""CDC007 wal-sender-timeout: not disabled, and not shorter than the connector's interval."""

from __future__ import annotations

import pytest

from audit.engine import Severity, Status
from rules.cdc007_wal_sender_timeout import wal_sender_timeout as RULE
from tests.factories import facts, fix_text, run, setting, settings


def test_pass_default_60_s() -> None:
    assert run(RULE, facts()).status is Status.PASS


@pytest.mark.parametrize("profile", ["debezium", "dms", "native", "generic"])
def test_fail_below_profile_minimum_is_high(profile: str) -> None:
    result = run(RULE, facts(settings=settings(wal_sender_timeout="5000")), profile)
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        f"wal_sender_timeout is 5 s, below the {profile} minimum of 10 s: quiet replication "
        "connections are cut"
    )
    assert finding.fix is not None
    assert "ALTER SYSTEM SET wal_sender_timeout = '60s';" in fix_text(finding)


def test_fail_disabled_is_low() -> None:
    result = run(RULE, facts(settings=settings(wal_sender_timeout="0")))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.LOW
    assert finding.message.startswith("wal_sender_timeout is 0 (disabled)")


def test_edge_exactly_the_minimum_passes() -> None:
    assert run(RULE, facts(settings=settings(wal_sender_timeout="10000"))).status is Status.PASS


def test_edge_units_other_than_ms_are_converted() -> None:
    value = setting("wal_sender_timeout", "5", unit="s")
    assert run(RULE, facts(settings=settings(wal_sender_timeout=value))).status is Status.FAIL


def test_not_evaluated_without_the_setting() -> None:
    assert run(RULE, facts(settings=settings(wal_sender_timeout=None))).status is (
        Status.NOT_EVALUATED
    )
