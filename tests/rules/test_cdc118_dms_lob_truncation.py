"""CDC118 dms-lob-truncation: TOAST statistics that prove values above LobMaxSize."""

from __future__ import annotations

from audit.engine import Status
from audit.facts import Table
from audit.facts.models import ToastableColumn
from rules.cdc118_dms_lob_truncation import dms_lob_truncation as RULE
from tests.factories import facts, fix_text, run, table

KIB = 1024


def _docs(toast_bytes: int, rows: float = 1000.0, *columns: tuple[str, str]) -> Table:
    cols = columns or (("body", "text"),)
    return table(
        "public.docs",
        reltuples=rows,
        toast_bytes=toast_bytes,
        toastable_columns=[ToastableColumn(name=n, type=t, avg_width=18) for n, t in cols],
    )


def test_pass_small_out_of_line_values() -> None:
    assert run(RULE, facts(tables=[_docs(8 * 1024 * KIB)]), "dms").status is Status.PASS


def test_fail_average_out_of_line_bytes_above_the_default_limit() -> None:
    [finding] = run(RULE, facts(tables=[_docs(64 * 1000 * KIB)]), "dms").findings
    assert finding.subject == "public.docs"
    assert finding.message.startswith("public.docs holds on average 64 KiB out of line")
    assert "above LobMaxSize 32 KB" in finding.message
    assert "SELECT max(octet_length(body::text)) AS body FROM public.docs;" in fix_text(finding)


def test_edge_the_limit_is_the_task_option_and_columns_share_the_bytes() -> None:
    two = _docs(64 * 1000 * KIB, 1000.0, ("body", "text"), ("blob", "bytea"))
    assert run(RULE, facts(tables=[two]), "dms").status is Status.PASS  # 32 KiB each: not above
    [finding] = run(RULE, facts(tables=[two]), "dms", lob_max_size_kb=16).findings
    assert finding.evidence["tables"]["public.docs"]["lob_columns"] == ["blob", "body"]
    assert "max(octet_length(blob)) AS blob" in fix_text(finding)


def test_edge_a_non_lob_column_that_may_hold_toast_bytes_proves_nothing() -> None:
    mixed = _docs(640 * 1000 * KIB, 1000.0, ("body", "text"), ("code", "character varying"))
    assert run(RULE, facts(tables=[mixed]), "dms").status is Status.PASS
    bounded = _docs(640 * 1000 * KIB, 1000.0, ("body", "text"), ("code", "character varying(40)"))
    assert run(RULE, facts(tables=[bounded]), "dms").status is Status.FAIL


def test_not_evaluated_when_column_types_were_not_collected() -> None:
    result = run(RULE, facts(tables=[table(toastable_columns=None)]), "dms")
    assert result.status is Status.NOT_EVALUATED
