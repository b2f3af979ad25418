"""CDC104 unchanged-toast-placeholders: updated rows lose their unchanged TOASTed values."""

from __future__ import annotations

from audit.engine import Status
from audit.facts import ReplicaIdentity as RI
from rules.cdc104_unchanged_toast_placeholders import unchanged_toast_placeholders as RULE
from tests.factories import MIB, facts, fix_text, run, table

DOCS = table("public.docs", toast_bytes=300 * MIB, n_tup_upd=2500)


def test_pass_no_toast() -> None:
    assert run(RULE, facts(tables=[table(n_tup_upd=99)])).status is Status.PASS


def test_fail_toasted_table_with_updates() -> None:
    [finding] = run(RULE, facts(tables=[DOCS])).findings
    assert finding.subject == "public.docs"
    assert finding.message == (
        "public.docs has 300 MiB of TOAST data and 2,500 updates since statistics reset: "
        "unchanged TOASTed columns arrive as placeholders"
    )
    assert finding.fix is not None
    assert fix_text(finding).endswith("ALTER TABLE public.docs REPLICA IDENTITY FULL;")


def test_edge_full_identity_or_insert_only_tables_pass() -> None:
    full = DOCS.model_copy(update={"replica_identity": RI.FULL})
    insert_only = DOCS.model_copy(update={"n_tup_upd": 0})
    assert run(RULE, facts(tables=[full, insert_only])).status is Status.PASS


def test_edge_native_subscribers_keep_the_stored_value() -> None:
    assert not RULE.applies_to("native")
    assert not RULE.applies_to("dms")
    assert RULE.applies_to("debezium")


def test_edge_small_toast_is_below_the_threshold() -> None:
    small = DOCS.model_copy(update={"toast_bytes": 512 * 1024})
    assert run(RULE, facts(tables=[small])).status is Status.PASS
    assert run(RULE, facts(tables=[small]), min_toast_bytes=1024).status is Status.FAIL


def test_not_evaluated_without_tables() -> None:
    assert run(RULE, facts(tables=None)).status is Status.NOT_EVALUATED
