"""CDC114 partitions-published-by-leaf: Debezium sees partition names without via_root."""

from __future__ import annotations

from audit.engine import Status
from audit.facts import TableKind
from rules.cdc114_partitions_published_by_leaf import partitions_published_by_leaf as RULE
from tests.factories import facts, fix_text, publication, published, run, table

TABLES = [
    table("public.events", kind=TableKind.PARTITIONED),
    table("public.events_2026", parent="public.events"),
    table(),
]


def test_pass_via_root() -> None:
    assert run(RULE, facts(tables=TABLES)).status is Status.PASS


def test_fail_all_tables_without_via_root() -> None:
    [finding] = run(RULE, facts(tables=TABLES, publications=[publication(via_root=False)])).findings
    assert finding.subject == "publication:dbz_publication"
    assert finding.message == (
        "publication dbz_publication publishes 1 partitioned table(s) (public.events) under "
        "their partitions' names"
    )
    assert fix_text(finding) == (
        "ALTER PUBLICATION dbz_publication SET (publish_via_partition_root = true);"
    )


def test_edge_publication_without_the_partitioned_table() -> None:
    pub = publication(all_tables=False, via_root=False, tables=[published("public.t")])
    assert run(RULE, facts(tables=TABLES, publications=[pub])).status is Status.PASS


def test_edge_no_partitioned_tables() -> None:
    assert run(RULE, facts(publications=[publication(via_root=False)])).status is Status.PASS


def test_not_evaluated_without_publications() -> None:
    assert run(RULE, facts(publications=None)).status is Status.NOT_EVALUATED


def test_fail_for_table_listed_by_its_partitions() -> None:
    """FOR TABLE public.events without via_root: pg_publication_tables lists the partitions."""
    pub = publication(all_tables=False, via_root=False, tables=[published("public.events_2026")])
    [finding] = run(RULE, facts(tables=TABLES, publications=[pub])).findings
    assert finding.evidence["partitioned_tables"] == ["public.events"]


def test_edge_sub_partition_listed_counts_for_the_top_table() -> None:
    tables = [
        table("public.events", kind=TableKind.PARTITIONED),
        table("public.events_2026", kind=TableKind.PARTITIONED, parent="public.events"),
        table("public.events_2026_11", parent="public.events_2026"),
    ]
    pub = publication(all_tables=False, via_root=False, tables=[published("public.events_2026_11")])
    [finding] = run(RULE, facts(tables=tables, publications=[pub])).findings
    assert finding.evidence["partitioned_tables"] == ["public.events"]
