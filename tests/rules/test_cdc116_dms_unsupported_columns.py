"""CDC116 dms-unsupported-columns: types DMS does not migrate; ARRAY columns need a key."""

from __future__ import annotations

from audit.engine import Status
from audit.facts.models import SpecialColumn
from rules.cdc116_dms_unsupported_columns import dms_unsupported_columns as RULE
from tests.factories import facts, fix_text, run, table


def _col(name: str, type_: str, *kinds: str) -> SpecialColumn:
    return SpecialColumn(name=name, type=type_, kinds=list(kinds))


def test_pass_supported_types_and_arrays_with_a_key() -> None:
    columns = [
        _col("tags", "text[]", "array"),
        _col("net", "cidr", "network"),
        _col("spot", "point", "geometric"),
        _col("amount", "numeric", "numeric_unconstrained"),
    ]
    assert run(RULE, facts(tables=[table(special_columns=columns)]), "dms").status is Status.PASS


def test_fail_unsupported_types() -> None:
    columns = [
        _col("addr", "inet", "network"),
        _col("doc", "tsvector", "text_search"),
        _col("mood", "mood", "enum"),
        _col("during", "tstzrange", "range"),
    ]
    [finding] = run(
        RULE, facts(tables=[table("public.t", special_columns=columns)]), "dms"
    ).findings
    assert finding.message == (
        "public.t has column(s) DMS does not migrate: addr (inet), doc (tsvector), mood (mood), "
        "during (tstzrange)"
    )
    assert finding.evidence["arrays_without_primary_key"] == {}
    assert "remove-column" in fix_text(finding)


def test_fail_array_on_a_table_without_primary_key() -> None:
    keyless = table(
        "public.readings",
        primary_key=None,
        unique_candidates=[],
        special_columns=[_col("pressure", "real[]", "array")],
    )
    [finding] = run(RULE, facts(tables=[keyless]), "dms").findings
    assert "ARRAY column(s) pressure without a primary key" in finding.message
    assert fix_text(finding) == "ALTER TABLE public.readings ADD PRIMARY KEY (<key columns>);"


def test_edge_arrays_of_unsupported_types_and_domains_are_not_flagged() -> None:
    columns = [_col("addrs", "inet[]", "array", "network"), _col("d", "inet_domain", "domain")]
    assert run(RULE, facts(tables=[table(special_columns=columns)]), "dms").status is Status.PASS
    assert not RULE.applies_to("debezium")


def test_edge_partitions_report_under_their_parent() -> None:
    leaves = [
        table(
            f"public.m_{i}",
            parent="public.m",
            primary_key=None,
            special_columns=[_col("v", "int[]", "array")],
        )
        for i in (1, 2)
    ]
    [finding] = run(RULE, facts(tables=leaves), "dms").findings
    assert finding.subject == "public.m"
    assert set(finding.evidence["arrays_without_primary_key"]) == {"public.m_1", "public.m_2"}


def test_not_evaluated_when_column_types_were_not_collected() -> None:
    result = run(RULE, facts(tables=[table(special_columns=None)]), "dms")
    assert result.status is Status.NOT_EVALUATED
