"""CDC006 server-version-unsupported: pgoutput needs 10+, and EOL majors get no fixes."""

from __future__ import annotations

from datetime import UTC, datetime

from audit.engine import Severity, Status
from rules.cdc006_server_version_unsupported import end_of_life
from rules.cdc006_server_version_unsupported import server_version_unsupported as RULE
from tests.factories import facts, run, server


def test_pass_supported_major() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_below_10_is_critical() -> None:
    result = run(RULE, facts(server=server(version="9.6.24", version_num=90624)))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message.startswith("PostgreSQL 9.6.24 has no pgoutput plugin")


def test_fail_end_of_life_is_low() -> None:
    result = run(RULE, facts(server=server(version="12.22", version_num=120022)))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.LOW
    assert finding.message == (
        "PostgreSQL 12 reached community end of life in November 2024: no more fixes, logical "
        "decoding ones included"
    )


def test_edge_support_lasts_through_november_of_the_fifth_year() -> None:
    assert end_of_life(13) == datetime(2025, 12, 1, tzinfo=UTC)
    thirteen = server(version="13.16", version_num=130016)
    during = facts(server=thirteen, collected_at=datetime(2025, 11, 30, tzinfo=UTC))
    after = facts(server=thirteen, collected_at=datetime(2025, 12, 1, tzinfo=UTC))
    assert run(RULE, during).status is Status.PASS
    assert run(RULE, after).status is Status.FAIL


def test_not_evaluated_without_server() -> None:
    assert run(RULE, facts(server=None)).status is Status.NOT_EVALUATED
