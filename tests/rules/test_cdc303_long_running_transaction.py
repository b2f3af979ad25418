"""CDC303 long-running-transaction: slot creation waits, VACUUM stalls."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc303_long_running_transaction import long_running_transaction as RULE
from tests.factories import facts, fix_text, run, session


def test_pass_short_transactions() -> None:
    assert run(RULE, facts(sessions=[session()])).status is Status.PASS


def test_fail_two_hour_transaction() -> None:
    result = run(RULE, facts(sessions=[session(xact_age_seconds=9000.0)]))
    [finding] = result.findings
    assert finding.subject == "session:4711"
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        "pid 4711 (app billing, user app, database app) has had a transaction open for 2.5 h "
        "(active): a new slot waits for it if it wrote, and VACUUM cannot clean up behind it"
    )
    assert finding.fix is not None
    assert fix_text(finding).endswith("SELECT pg_terminate_backend(4711);")


def test_edge_idle_in_transaction_is_cdc305s_and_walsenders_are_not_judged() -> None:
    sessions = [
        session(1, state="idle in transaction", xact_age_seconds=9000.0),
        session(2, backend_type="walsender", xact_age_seconds=9000.0),
        session(3, backend_type="autovacuum worker", xact_age_seconds=9000.0),
    ]
    assert run(RULE, facts(sessions=sessions)).status is Status.PASS


def test_edge_threshold_option() -> None:
    the_facts = facts(sessions=[session(xact_age_seconds=120.0)])
    assert run(RULE, the_facts).status is Status.PASS
    assert run(RULE, the_facts, min_seconds=60).status is Status.FAIL


def test_not_evaluated_without_sessions() -> None:
    assert run(RULE, facts(sessions=None)).status is Status.NOT_EVALUATED
