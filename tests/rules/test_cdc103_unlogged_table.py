"""CDC103 unlogged-table: tables that write no WAL never produce change events."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc103_unlogged_table import unlogged_table as RULE
from tests.factories import MIB, facts, fix_text, run, table


def test_pass_logged_tables() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_unlogged_table() -> None:
    t = table("public.sessions", unlogged=True, heap_bytes=8 * MIB, index_bytes=MIB)
    result = run(RULE, facts(tables=[t]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == "public.sessions is unlogged (9 MiB): its changes never reach CDC"
    assert fix_text(finding) == "ALTER TABLE public.sessions SET LOGGED;"


def test_edge_unlogged_partitions_are_one_finding_under_the_parent() -> None:
    tables = [
        table("public.q_1", parent="public.q", unlogged=True),
        table("public.q_2", parent="public.q", unlogged=True),
        table("public.q_3", parent="public.q"),
    ]
    [finding] = run(RULE, facts(tables=tables)).findings
    assert finding.subject == "public.q"
    assert finding.message.startswith("public.q (2 unlogged partitions) is unlogged")
    assert fix_text(finding) == (
        "ALTER TABLE public.q_1 SET LOGGED;\nALTER TABLE public.q_2 SET LOGGED;"
    )


def test_not_evaluated_without_tables() -> None:
    assert run(RULE, facts(tables=None)).status is Status.NOT_EVALUATED
