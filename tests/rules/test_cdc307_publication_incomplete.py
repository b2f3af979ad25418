"""CDC307 publication-incomplete: tables or operations the publication does not send."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import TableKind
from rules.cdc307_publication_incomplete import publication_incomplete as RULE
from tests.factories import facts, fix_text, publication, published, run, table

TABLES = [table(), table("public.u", n_tup_upd=50), table("sales.orders")]


def test_pass_for_all_tables() -> None:
    assert run(RULE, facts(tables=TABLES)).status is Status.PASS


def test_pass_by_schema_and_by_partitioned_parent() -> None:
    tables = [
        table(),
        table("sales.orders"),
        table("public.m", kind=TableKind.PARTITIONED),
        table("public.m_1", parent="public.m"),
    ]
    pub = publication(
        all_tables=False,
        schemas=["sales"],
        tables=[published("public.t"), published("public.m")],
    )
    assert run(RULE, facts(tables=tables, publications=[pub])).status is Status.PASS


def test_fail_missing_tables() -> None:
    pub = publication(all_tables=False, tables=[published("public.t")])
    result = run(RULE, facts(tables=TABLES, publications=[pub]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        "publication dbz_publication leaves out 2 of 3 tables in scope (public.u, sales.orders)"
    )
    assert fix_text(finding) == (
        "ALTER PUBLICATION dbz_publication ADD TABLE public.u, sales.orders;  "
        "-- as the tables' owner"
    )


def test_fail_insert_only_publication_with_updates() -> None:
    result = run(RULE, facts(tables=TABLES, publications=[publication(update=False)]))
    [finding] = result.findings
    assert finding.message == (
        "publication dbz_publication does not publish UPDATE (50 since statistics reset)"
    )


def test_edge_unlogged_tables_are_cdc103s() -> None:
    tables = [table(), table("public.cache", unlogged=True)]
    pub = publication(all_tables=False, tables=[published("public.t")])
    assert run(RULE, facts(tables=tables, publications=[pub])).status is Status.PASS


def test_edge_missing_publication_is_cdc302s() -> None:
    assert run(RULE, facts(publications=[])).status is Status.PASS


def test_not_evaluated_for_native_without_a_name() -> None:
    assert run(RULE, facts(), "native").status is Status.NOT_EVALUATED


def test_not_evaluated_without_publications() -> None:
    assert run(RULE, facts(publications=None)).status is Status.NOT_EVALUATED
