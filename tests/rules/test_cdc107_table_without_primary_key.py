"""CDC107 table-without-primary-key: replicable, but Debezium events carry a null key."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts import ReplicaIdentity as RI
from rules.cdc107_table_without_primary_key import table_without_primary_key as RULE
from tests.factories import facts, fix_text, run, table


def test_pass_primary_key() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_full_identity_without_key_promotes_the_unique_index() -> None:
    t = table(
        "public.events",
        primary_key=None,
        replica_identity=RI.FULL,
        unique_candidates=["events_uuid_key"],
        n_tup_upd=40,
    )
    result = run(RULE, facts(tables=[t]))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message == (
        "public.events has no primary key (REPLICA IDENTITY FULL): its change events have a "
        "null key"
    )
    assert (
        fix_text(finding)
        == "ALTER TABLE public.events ADD PRIMARY KEY USING INDEX events_uuid_key;"
    )


def test_fail_identity_index_without_key_and_insert_only_is_low() -> None:
    t = table(
        primary_key=None,
        replica_identity=RI.INDEX,
        identity_index="t_code_key",
        identity_index_valid=True,
        unique_candidates=["t_code_key"],
    )
    result = run(RULE, facts(tables=[t]))
    assert result.severity_of(result.findings[0]) is Severity.LOW


def test_edge_no_usable_identity_is_left_to_cdc101() -> None:
    """One root cause, one finding: CDC101 already asks for the primary key."""
    t = table(primary_key=None, unique_candidates=[], n_tup_upd=5)
    assert run(RULE, facts(tables=[t])).status is Status.PASS


def test_edge_debezium_only() -> None:
    assert RULE.profiles == ("debezium",)


def test_not_evaluated_without_tables() -> None:
    assert run(RULE, facts(tables=None)).status is Status.NOT_EVALUATED
