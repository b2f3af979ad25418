"""CDC108 special-data-types: types the chosen connector drops or rounds."""

from __future__ import annotations

from audit.engine import Status
from audit.facts.models import SpecialColumn
from rules.cdc108_special_data_types import special_data_types as RULE
from tests.factories import facts, fix_text, run, table


def _col(name: str, type_: str, *kinds: str) -> SpecialColumn:
    return SpecialColumn(name=name, type=type_, kinds=list(kinds))


def test_pass_known_types() -> None:
    columns = [
        _col("shape", "geometry", "postgis", "extension_type"),
        _col("tags", "text[]", "array"),
        _col("email", "citext", "extension_type"),
    ]
    assert run(RULE, facts(tables=[table(special_columns=columns)])).status is Status.PASS


def test_fail_debezium_unknown_extension_and_composite_types() -> None:
    columns = [_col("isbn", "isbn13", "extension_type"), _col("addr", "address", "composite")]
    [finding] = run(RULE, facts(tables=[table("public.books", special_columns=columns)])).findings
    assert finding.subject == "public.books"
    assert finding.message.startswith(
        "public.books has column(s) isbn (isbn13), addr (address): Debezium omits columns"
    )
    assert fix_text(finding) == "# connector configuration: include.unknown.datatypes=true"


def test_fail_dms_unbounded_numeric() -> None:
    columns = [_col("amount", "numeric", "numeric_unconstrained")]
    [finding] = run(RULE, facts(tables=[table(special_columns=columns)]), "dms").findings
    assert "NUMERIC(28,6)" in finding.message
    assert finding.fix is not None
    assert "MapUnboundedNumericAsString=true" in fix_text(finding)


def test_edge_what_one_connector_drops_another_keeps() -> None:
    numeric = [_col("amount", "numeric", "numeric_unconstrained")]
    assert run(RULE, facts(tables=[table(special_columns=numeric)])).status is Status.PASS
    composite = [_col("addr", "address", "composite")]
    assert run(RULE, facts(tables=[table(special_columns=composite)]), "dms").status is (
        Status.PASS
    )
    assert not RULE.applies_to("native")


def test_not_evaluated_when_column_types_were_not_collected() -> None:
    assert run(RULE, facts(tables=[table(special_columns=None)])).status is Status.NOT_EVALUATED
