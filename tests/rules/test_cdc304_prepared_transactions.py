"""CDC304 prepared-transactions: orphans block slot creation until resolved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from audit.engine import Severity, Status
from audit.facts.models import PreparedXact
from rules.cdc304_prepared_transactions import prepared_transactions as RULE
from tests.factories import NOW, facts, fix_text, run


def _xact(gid: str, age: timedelta | None, **kw: Any) -> PreparedXact:
    prepared_at = NOW - age if age is not None else None
    return PreparedXact(gid=gid, database="app", prepared_at=prepared_at, **kw)


def test_pass_none() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_old_prepared_transaction() -> None:
    xact = _xact("tx'42", timedelta(days=2), xid_age=3_000_000)
    result = run(RULE, facts(prepared_xacts=[xact]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        "prepared transaction tx'42 in database app has been waiting for 2 d, transaction ID "
        "age 3,000,000: a new slot waits for it"
    )
    assert finding.fix is not None
    assert "COMMIT PREPARED 'tx''42';  -- or: ROLLBACK PREPARED 'tx''42';" in fix_text(finding)


def test_edge_freshly_prepared_is_a_working_transaction_manager() -> None:
    assert run(RULE, facts(prepared_xacts=[_xact("xa1", timedelta(seconds=3))])).status is (
        Status.PASS
    )


def test_not_evaluated_when_the_age_is_unknown() -> None:
    assert run(RULE, facts(prepared_xacts=[_xact("xa1", None)])).status is Status.NOT_EVALUATED


def test_not_evaluated_without_the_family() -> None:
    assert run(RULE, facts(prepared_xacts=None)).status is Status.NOT_EVALUATED
