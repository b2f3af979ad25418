"""CDC017 database-encoding-not-utf8: the audited database is not UTF-8."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import Facts
from rules.cdc017_database_encoding_not_utf8 import database_encoding_not_utf8 as RULE
from tests.factories import database, facts, fix_text, run


def _encoded(encoding: str | None) -> Facts:
    return facts(databases=[database("app", encoding=encoding), database("postgres")])


def test_pass_utf8() -> None:
    assert run(RULE, _encoded("UTF8")).status is Status.PASS


def test_fail_latin1_for_debezium() -> None:
    result = run(RULE, _encoded("LATIN1"))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.subject == "database:app"
    assert finding.message.startswith("database app is LATIN1, not UTF-8")
    assert "ENCODING 'UTF8' TEMPLATE template0" in fix_text(finding)


def test_fail_sql_ascii_for_every_profile() -> None:
    for profile in ("debezium", "dms", "native", "generic"):
        result = run(RULE, _encoded("SQL_ASCII"), profile)
        [finding] = result.findings
        assert result.severity_of(finding) is Severity.HIGH, profile
        assert "never validated" in finding.message


def test_edge_converting_consumers_and_other_databases() -> None:
    assert run(RULE, _encoded("WIN1252"), "dms").status is Status.PASS
    assert run(RULE, _encoded("WIN1252"), "native").status is Status.PASS
    generic = run(RULE, _encoded("WIN1252"), "generic")
    assert [generic.severity_of(f) for f in generic.findings] == [Severity.MEDIUM]
    # another database of the instance is not the connector's business
    elsewhere = facts(
        databases=[database("app", encoding="UTF8"), database("old", encoding="LATIN1")]
    )
    assert run(RULE, elsewhere).status is Status.PASS


def test_not_evaluated_without_the_encoding() -> None:
    assert run(RULE, _encoded(None)).status is Status.NOT_EVALUATED
    assert run(RULE, facts(databases=[database("postgres")])).status is Status.NOT_EVALUATED
    assert run(RULE, facts(databases=None)).status is Status.NOT_EVALUATED
