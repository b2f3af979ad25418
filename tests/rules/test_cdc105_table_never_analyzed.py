"""CDC105 table-never-analyzed: big tables without statistics make the estimates guesses."""

from __future__ import annotations

from typing import Any

from audit.engine import Severity, Status
from audit.facts import TableKind
from rules.cdc105_table_never_analyzed import table_never_analyzed as RULE
from tests.factories import MIB, facts, fix_text, run, table

NEVER: dict[str, Any] = {"last_analyze": None, "reltuples": None}


def test_pass_analyzed() -> None:
    assert run(RULE, facts(tables=[table(heap_bytes=900 * MIB)])).status is Status.PASS


def test_fail_large_table_never_analyzed() -> None:
    result = run(RULE, facts(tables=[table("public.big", heap_bytes=512 * MIB, **NEVER)]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.LOW
    assert finding.message == (
        "public.big (512 MiB) was never analyzed: its row count and row width are unknown to "
        "the estimates"
    )
    assert fix_text(finding) == "ANALYZE public.big;"


def test_edge_small_tables_and_partitioned_parents_are_skipped() -> None:
    tables = [
        table("public.small", heap_bytes=10 * MIB, **NEVER),
        table("public.parent", kind=TableKind.PARTITIONED, heap_bytes=900 * MIB, **NEVER),
    ]
    assert run(RULE, facts(tables=tables)).status is Status.PASS


def test_edge_vacuumed_but_not_analyzed_has_a_row_estimate() -> None:
    t = table(heap_bytes=512 * MIB, last_analyze=None, reltuples=1e6)
    assert run(RULE, facts(tables=[t])).status is Status.PASS


def test_edge_unknown_size_is_not_guessed() -> None:
    assert run(RULE, facts(tables=[table(heap_bytes=None, **NEVER)])).status is Status.PASS


def test_not_evaluated_without_tables() -> None:
    assert run(RULE, facts(tables=None)).status is Status.NOT_EVALUATED
