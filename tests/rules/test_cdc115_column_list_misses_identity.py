"""CDC115 column-list-misses-identity: UPDATE and DELETE fail at the source."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import ReplicaIdentity as RI
from rules.cdc115_column_list_misses_identity import column_list_misses_identity as RULE
from tests.factories import facts, fix_text, publication, published, run, table


def _pub(columns: list[str] | None, **kw: object) -> object:
    return publication("pub", all_tables=False, tables=[published("public.t", columns)], **kw)


def test_pass_list_with_the_key() -> None:
    assert run(RULE, facts(publications=[_pub(["id", "name"])])).status is Status.PASS


def test_fail_list_without_the_primary_key() -> None:
    result = run(RULE, facts(publications=[_pub(["name", "email"])]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        "publication pub lists columns of public.t without primary key column(s) id: UPDATE "
        "and DELETE on the table fail"
    )
    assert fix_text(finding) == (
        "BEGIN;\nALTER PUBLICATION pub DROP TABLE public.t;\n"
        "ALTER PUBLICATION pub ADD TABLE public.t (name, email, id);\nCOMMIT;"
    )


def test_fail_full_identity_needs_every_column() -> None:
    the_facts = facts(
        tables=[table(replica_identity=RI.FULL, column_count=5)],
        publications=[_pub(["id", "name"])],
    )
    [finding] = run(RULE, the_facts).findings
    assert "without 3 column(s) of the REPLICA IDENTITY FULL row" in finding.message


def test_edge_insert_only_publication_and_no_column_list_pass() -> None:
    insert_only = _pub(["name"], update=False, delete=False)
    assert run(RULE, facts(publications=[insert_only])).status is Status.PASS
    assert run(RULE, facts(publications=[_pub(None)])).status is Status.PASS


def test_edge_row_filter_is_kept_in_the_fix() -> None:
    pub = publication(
        "pub",
        all_tables=False,
        tables=[published("public.t", ["name"]).model_copy(update={"row_filter": "(name <> '')"})],
    )
    [finding] = run(RULE, facts(publications=[pub])).findings
    assert finding.fix is not None
    assert "(name, id) WHERE ((name <> ''));" in fix_text(finding)


def test_not_evaluated_without_publications() -> None:
    assert run(RULE, facts(publications=None)).status is Status.NOT_EVALUATED
