"""CDC309 signal-table-missing: incremental snapshots need the configured signal table."""

from __future__ import annotations

import pytest

from audit.config import ConfigError, config_from_dict
from audit.engine import Severity, Status
from rules.cdc309_signal_table_missing import signal_table_missing as RULE
from tests.factories import facts, fix_text, run, table


def test_pass_signal_table_exists() -> None:
    the_facts = facts(tables=[table(), table("debezium.signal")])
    assert run(RULE, the_facts, signal_table="debezium.signal").status is Status.PASS


def test_fail_signal_table_missing() -> None:
    result = run(RULE, facts(), signal_table="Ops.dbz_signal")
    [finding] = result.findings
    assert finding.subject == '"Ops".dbz_signal'
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        'signal table "Ops".dbz_signal does not exist: incremental snapshots cannot start'
    )
    assert finding.fix is not None
    assert fix_text(finding).startswith('CREATE TABLE "Ops".dbz_signal (id varchar(42) PRIMARY KEY')
    assert 'GRANT SELECT, INSERT ON "Ops".dbz_signal TO cdc;' in fix_text(finding)


def test_edge_name_must_be_schema_dot_table() -> None:
    """A bare table name never reaches the check: the configuration refuses it."""
    with pytest.raises(ConfigError, match=r"expected a table name as schema\.table, got 'dbz_sig'"):
        config_from_dict({"rules": {"CDC309": {"signal_table": "dbz_sig"}}})


@pytest.mark.parametrize("profile", ["dms", "native", "generic"])
def test_edge_debezium_only(profile: str) -> None:
    assert not RULE.applies_to(profile)


def test_not_evaluated_without_the_option() -> None:
    result = run(RULE, facts())
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None
    assert "[rules.CDC309]" in result.reason


def test_not_evaluated_without_tables() -> None:
    assert run(RULE, facts(tables=None), signal_table="a.b").status is Status.NOT_EVALUATED
