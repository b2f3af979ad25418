"""CDC106 table-not-selectable: the snapshot reads every table with SELECT."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import TableKind
from rules.cdc106_table_not_selectable import table_not_selectable as RULE
from tests.factories import facts, fix_text, role, run, table


def test_pass_selectable() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_grouped_per_schema_with_one_grant() -> None:
    tables = [
        table("billing.invoices", can_select=False),
        table("billing.lines", can_select=False),
        table('"Sales".orders', can_select=False),
        table("public.t"),
    ]
    result = run(RULE, facts(tables=tables, role=role(name="cdc-user")))
    assert [f.subject for f in result.findings] == ["schema:Sales", "schema:billing"]
    billing = result.findings[1]
    assert result.severity_of(billing) is Severity.CRITICAL
    assert billing.message == (
        "cdc-user cannot SELECT 2 table(s) in schema billing: billing.invoices, billing.lines"
    )
    assert fix_text(billing) == (
        'GRANT USAGE ON SCHEMA billing TO "cdc-user";\n'
        'GRANT SELECT ON billing.invoices, billing.lines TO "cdc-user";'
    )
    assert result.findings[0].fix is not None
    assert fix_text(result.findings[0]).startswith('GRANT USAGE ON SCHEMA "Sales" TO')


def test_edge_partition_readable_through_its_parent_is_not_reported() -> None:
    tables = [
        table("public.m", kind=TableKind.PARTITIONED),
        table("public.m_1", parent="public.m", can_select=False),
    ]
    assert run(RULE, facts(tables=tables)).status is Status.PASS


def test_edge_partitioned_parent_itself_is_not_judged() -> None:
    tables = [table("public.m", kind=TableKind.PARTITIONED, can_select=False)]
    assert run(RULE, facts(tables=tables)).status is Status.PASS


def test_not_evaluated_when_privileges_are_unknown() -> None:
    result = run(RULE, facts(tables=[table(can_select=None)]))
    assert result.status is Status.NOT_EVALUATED


def test_not_evaluated_without_tables() -> None:
    assert run(RULE, facts(tables=None)).status is Status.NOT_EVALUATED
