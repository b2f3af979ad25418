"""CDC102 replica-identity-full-with-changes: FULL costs WAL only when rows change."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import ReplicaIdentity as RI
from rules.cdc102_replica_identity_full_with_changes import (
    replica_identity_full_with_changes as RULE,
)
from tests.factories import MIB, facts, fix_text, run, settings, table


def test_pass_default_identity_with_changes() -> None:
    assert run(RULE, facts(tables=[table(n_tup_upd=10_000)])).status is Status.PASS


def test_fail_full_with_updates_and_deletes() -> None:
    t = table("public.orders", replica_identity=RI.FULL, n_tup_upd=1234, n_tup_del=56)
    result = run(RULE, facts(tables=[t]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message == (
        "public.orders has REPLICA IDENTITY FULL and 1,234 updates and 56 deletes since "
        "statistics reset: each logs the whole old row"
    )
    assert finding.evidence["n_tup_upd"] == 1234
    assert finding.evidence["avg_row_bytes"] == 120.0
    assert fix_text(finding) == (
        "ALTER TABLE public.orders REPLICA IDENTITY DEFAULT;"
        "  -- unless consumers need whole before images"
    )


def test_fail_toasted_table_is_high() -> None:
    t = table(replica_identity=RI.FULL, n_tup_upd=5, toast_bytes=512 * MIB)
    result = run(RULE, facts(tables=[t]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert "TOASTed values included (512 MiB of TOAST)" in finding.message


def test_fail_fix_uses_a_unique_candidate_without_primary_key() -> None:
    t = table(replica_identity=RI.FULL, primary_key=None, unique_candidates=["t_sku_key"])
    t = t.model_copy(update={"n_tup_del": 3})
    [finding] = run(RULE, facts(tables=[t])).findings
    assert finding.fix is not None
    assert fix_text(finding).startswith(
        "ALTER TABLE public.t REPLICA IDENTITY USING INDEX t_sku_key;"
    )


def test_edge_insert_only_full_table_costs_nothing() -> None:
    """No false positive: FULL on an insert-only table adds no WAL."""
    t = table(replica_identity=RI.FULL, n_tup_upd=0, n_tup_del=0)
    assert run(RULE, facts(tables=[t])).status is Status.PASS


def test_edge_toast_threshold_option() -> None:
    t = table(replica_identity=RI.FULL, n_tup_upd=5, toast_bytes=2 * MIB)
    result = run(RULE, facts(tables=[t]), min_toast_bytes=MIB)
    assert result.severity_of(result.findings[0]) is Severity.HIGH


def test_edge_partitions_reported_under_their_parent() -> None:
    tables = [
        table("public.m_1", parent="public.m", replica_identity=RI.FULL, n_tup_upd=1),
        table("public.m_2", parent="public.m", replica_identity=RI.FULL, n_tup_del=2),
    ]
    [finding] = run(RULE, facts(tables=tables)).findings
    assert finding.subject == "public.m"
    assert finding.evidence["partitions"] == ["public.m_1", "public.m_2"]


def test_not_evaluated_when_track_counts_is_off() -> None:
    t = table(replica_identity=RI.FULL, n_tup_upd=0, n_tup_del=0)
    result = run(RULE, facts(tables=[t], settings=settings(track_counts="off")))
    assert result.status is Status.NOT_EVALUATED


def test_not_evaluated_without_tables() -> None:
    assert run(RULE, facts(tables=None)).status is Status.NOT_EVALUATED


def test_not_evaluated_when_full_table_statistics_are_unknown() -> None:
    t = table(replica_identity=RI.FULL, n_tup_upd=None, n_tup_del=None)
    result = run(RULE, facts(tables=[t]))
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None
    assert "public.t" in result.reason
