"""CDC109 generated-columns-not-published: the stream leaves stored generated columns out."""

from __future__ import annotations

from audit.engine import Status
from rules.cdc109_generated_columns_not_published import generated_columns_not_published as RULE
from tests.factories import facts, fix_text, publication, published, run, server, table

PG18 = server(version="18.1", version_num=180001)
ORDERS = table("public.orders", generated_columns=["total"])


def test_pass_no_generated_columns() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_pass_18_publication_publishes_them() -> None:
    pub = publication(generated_columns="s")
    the_facts = facts(server=PG18, tables=[ORDERS], publications=[pub])
    assert run(RULE, the_facts).status is Status.PASS


def test_fail_before_18() -> None:
    [finding] = run(RULE, facts(tables=[ORDERS])).findings
    assert finding.message == (
        "public.orders has generated column(s) total: the change stream leaves them out"
    )
    assert finding.fix is not None
    assert fix_text(finding).startswith("# compute total downstream")


def test_fail_18_default_publication_gives_the_alter() -> None:
    pub = publication(generated_columns="n")
    the_facts = facts(server=PG18, tables=[ORDERS], publications=[pub])
    [finding] = run(RULE, the_facts).findings
    assert fix_text(finding) == (
        "ALTER PUBLICATION dbz_publication SET (publish_generated_columns = stored);"
    )


def test_edge_18_column_list_naming_the_column_publishes_it() -> None:
    pub = publication(all_tables=False, tables=[published("public.orders", ["id", "total"])])
    assert run(RULE, facts(server=PG18, tables=[ORDERS], publications=[pub])).status is (
        Status.PASS
    )


def test_edge_native_subscribers_compute_their_own() -> None:
    assert not RULE.applies_to("native")


def test_not_evaluated_when_generated_columns_were_not_collected() -> None:
    the_facts = facts(tables=[table(generated_columns=None)])
    assert run(RULE, the_facts).status is Status.NOT_EVALUATED
