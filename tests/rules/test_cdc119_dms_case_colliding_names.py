"""CDC119 dms-case-colliding-names: tables whose names differ only in case."""

from __future__ import annotations

from audit.engine import Status
from rules.cdc119_dms_case_colliding_names import dms_case_colliding_names as RULE
from tests.factories import facts, fix_text, run, table


def test_pass_distinct_names() -> None:
    tables = [table("public.orders"), table("public.order_items"), table("sales.orders")]
    assert run(RULE, facts(tables=tables), "dms").status is Status.PASS


def test_fail_names_differing_only_in_case() -> None:
    tables = [
        table("public.orders"),
        table('public."Orders"', schema_name="public", name="Orders"),
    ]
    [finding] = run(RULE, facts(tables=tables), "dms").findings
    assert finding.subject == "tables:public.orders"
    assert finding.message.startswith(
        '2 tables differ only in case (public."Orders", public.orders)'
    )
    assert "ALTER TABLE public.orders RENAME TO <new_name>;" in fix_text(finding)


def test_edge_schema_case_counts_too() -> None:
    tables = [table("app.t"), table('"App".t', schema_name="App", name="t")]
    [finding] = run(RULE, facts(tables=tables), "dms").findings
    assert finding.evidence["tables"] == ['"App".t', "app.t"]
    assert not RULE.applies_to("native")


def test_not_evaluated_without_tables() -> None:
    assert run(RULE, facts(tables=None), "dms").status is Status.NOT_EVALUATED
