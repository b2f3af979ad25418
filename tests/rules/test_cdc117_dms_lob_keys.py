"""CDC117 dms-lob-keys: a LOB primary key, or LOBs on a table without any key."""

from __future__ import annotations

from audit.engine import Status
from audit.facts.models import SpecialColumn, ToastableColumn
from rules.cdc117_dms_lob_keys import dms_lob_keys as RULE
from tests.factories import facts, fix_text, run, table


def _toast(name: str, type_: str) -> ToastableColumn:
    return ToastableColumn(name=name, type=type_)


def test_pass_lobs_on_a_table_with_an_integer_key() -> None:
    t = table(toastable_columns=[_toast("body", "text"), _toast("meta", "jsonb")])
    assert run(RULE, facts(tables=[t]), "dms").status is Status.PASS


def test_fail_text_primary_key() -> None:
    t = table("public.pages", primary_key=["slug"], toastable_columns=[_toast("slug", "text")])
    [finding] = run(RULE, facts(tables=[t]), "dms").findings
    assert finding.message == "public.pages has a primary key of LOB type: slug (text)"
    assert "varchar(n)" in fix_text(finding)


def test_fail_lob_columns_without_primary_or_unique_key() -> None:
    t = table(
        "public.log",
        primary_key=None,
        unique_candidates=[],
        toastable_columns=[_toast("payload", "bytea"), _toast("note", "character varying(40)")],
    )
    [finding] = run(RULE, facts(tables=[t]), "dms").findings
    assert "LOB column(s) payload and no primary or unique key" in finding.message
    assert finding.evidence["lob_without_key"] == {"public.log": ["payload"]}
    assert fix_text(finding).startswith("ALTER TABLE public.log ADD PRIMARY KEY")


def test_edge_unique_key_suffices_and_bounded_strings_are_not_lobs() -> None:
    unique = table(
        primary_key=None, unique_candidates=["t_code_key"], toastable_columns=[_toast("b", "text")]
    )
    varchar_key = table(
        primary_key=["code"], toastable_columns=[_toast("code", "character varying(20)")]
    )
    assert run(RULE, facts(tables=[unique, varchar_key]), "dms").status is Status.PASS


def test_edge_arrays_and_composites_count_as_lobs() -> None:
    t = table(
        primary_key=None,
        unique_candidates=[],
        toastable_columns=[],
        special_columns=[SpecialColumn(name="addr", type="address", kinds=["composite"])],
    )
    [finding] = run(RULE, facts(tables=[t]), "dms").findings
    assert finding.evidence["lob_without_key"] == {"public.t": ["addr"]}


def test_not_evaluated_when_column_types_were_not_collected() -> None:
    result = run(RULE, facts(tables=[table(toastable_columns=None)]), "dms")
    assert result.status is Status.NOT_EVALUATED
