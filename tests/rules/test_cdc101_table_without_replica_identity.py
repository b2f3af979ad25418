"""CDC101 table-without-replica-identity: UPDATE and DELETE need an old-row key."""

from __future__ import annotations

from typing import Any

import pytest

from audit.engine import Severity, Status
from audit.facts import ReplicaIdentity as RI
from audit.facts import TableKind
from rules.cdc101_table_without_replica_identity import table_without_replica_identity as RULE
from tests.factories import facts, fix_text, run, settings, table

NO_KEY: dict[str, Any] = {"primary_key": None, "unique_candidates": []}


def test_pass_primary_key() -> None:
    assert run(RULE, facts(tables=[table()])).status is Status.PASS


def test_pass_full_identity_without_key() -> None:
    """FULL is usable; what it costs is CDC102's finding, not this one."""
    the_facts = facts(tables=[table(replica_identity=RI.FULL, **NO_KEY)])
    assert run(RULE, the_facts).status is Status.PASS


def test_pass_valid_identity_index() -> None:
    t = table(
        replica_identity=RI.INDEX, identity_index="t_code_key", identity_index_valid=True, **NO_KEY
    )
    assert run(RULE, facts(tables=[t])).status is Status.PASS


def test_fail_no_key_with_updates_is_critical() -> None:
    t = table('public."Events"', n_tup_upd=1200, n_tup_del=30, **NO_KEY)
    result = run(RULE, facts(tables=[t]))
    [finding] = result.findings
    assert finding.subject == 'public."Events"'
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message == (
        'public."Events" has no primary key (REPLICA IDENTITY DEFAULT): UPDATE and DELETE cannot '
        "be replicated; 1,200 updates and 30 deletes since statistics reset (2026-10-23)"
    )
    assert finding.fix is not None
    assert 'ALTER TABLE public."Events" ADD PRIMARY KEY' in fix_text(finding)
    assert 'ALTER TABLE public."Events" REPLICA IDENTITY FULL;' in fix_text(finding)


def test_fail_nothing_with_primary_key_returns_to_default() -> None:
    result = run(RULE, facts(tables=[table(replica_identity=RI.NOTHING, n_tup_del=1)]))
    [finding] = result.findings
    assert "has REPLICA IDENTITY NOTHING" in finding.message
    assert fix_text(finding) == "ALTER TABLE public.t REPLICA IDENTITY DEFAULT;"


def test_fail_dropped_identity_index_behaves_as_nothing_even_with_primary_key() -> None:
    t = table(replica_identity=RI.INDEX, identity_index=None, n_tup_upd=5)
    [finding] = run(RULE, facts(tables=[t])).findings
    assert "an index that no longer exists" in finding.message
    assert fix_text(finding) == "ALTER TABLE public.t REPLICA IDENTITY DEFAULT;"


def test_fail_invalid_identity_index_prefers_another_candidate() -> None:
    t = table(
        replica_identity=RI.INDEX,
        identity_index="t_code_key",
        identity_index_valid=False,
        primary_key=None,
        unique_candidates=["t_code_key", "t_uuid_key"],
        n_tup_upd=5,
    )
    [finding] = run(RULE, facts(tables=[t])).findings
    assert "t_code_key, which is invalid" in finding.message
    assert fix_text(finding) == "ALTER TABLE public.t REPLICA IDENTITY USING INDEX t_uuid_key;"


def test_fail_fix_prefers_an_existing_unique_index() -> None:
    t = table(primary_key=None, unique_candidates=["t_email_key"], n_tup_upd=3)
    [finding] = run(RULE, facts(tables=[t])).findings
    assert fix_text(finding) == "ALTER TABLE public.t REPLICA IDENTITY USING INDEX t_email_key;"


def test_edge_insert_only_table_is_medium_and_says_since_when() -> None:
    result = run(RULE, facts(tables=[table(**NO_KEY)]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message.endswith("no UPDATE or DELETE since statistics reset (2026-10-23)")


def test_edge_unknown_statistics_stay_critical() -> None:
    result = run(RULE, facts(tables=[table(n_tup_upd=None, n_tup_del=None, **NO_KEY)]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message.endswith("UPDATE and DELETE counts unknown")


def test_edge_zero_counters_prove_nothing_with_track_counts_off() -> None:
    the_facts = facts(tables=[table(**NO_KEY)], settings=settings(track_counts="off"))
    result = run(RULE, the_facts)
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.CRITICAL
    assert finding.message.endswith("UPDATE and DELETE counts unknown (track_counts is off)")


def test_edge_partitioned_parent_is_not_judged_its_leaves_are_reported_once() -> None:
    """The parent has no storage; its two failing leaves become one finding under it."""
    tables = [
        table("public.m", kind=TableKind.PARTITIONED, **NO_KEY),
        table("public.m_2025", parent="public.m", n_tup_upd=4, **NO_KEY),
        table("public.m_2026", parent="public.m", n_tup_upd=9, **NO_KEY),
        table("public.m_2027", parent="public.m", replica_identity=RI.FULL, **NO_KEY),
    ]
    result = run(RULE, facts(tables=tables))
    [finding] = result.findings
    assert finding.subject == "public.m"
    assert finding.message.startswith(
        "public.m has 2 of 3 partitions without a usable replica identity "
        "(public.m_2025, public.m_2026)"
    )
    assert sorted(finding.evidence["partitions"]) == ["public.m_2025", "public.m_2026"]
    assert finding.fix is not None
    assert fix_text(finding).startswith("ALTER TABLE public.m ADD PRIMARY KEY")
    assert "ALTER TABLE public.m_2026 REPLICA IDENTITY FULL;" in fix_text(finding)


def test_edge_partitioned_parent_alone_is_not_reported() -> None:
    t = table("public.m", kind=TableKind.PARTITIONED, **NO_KEY)
    assert run(RULE, facts(tables=[t])).status is Status.PASS


@pytest.mark.parametrize("kind", ["tables"])
def test_not_evaluated_without_tables(kind: str) -> None:
    assert run(RULE, facts(**{kind: None})).status is Status.NOT_EVALUATED
