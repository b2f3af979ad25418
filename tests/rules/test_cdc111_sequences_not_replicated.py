"""CDC111 sequences-not-replicated: a target that takes over must have its sequences set."""

from __future__ import annotations

from audit.engine import Severity, Status
from audit.facts.models import Sequence
from rules.cdc111_sequences_not_replicated import sequences_not_replicated as RULE
from tests.factories import facts, fix_text, run, server


def _seq(name: str, owned_by: str | None) -> Sequence:
    return Sequence(qualified_name=name, owned_by=owned_by)


def test_pass_no_sequences() -> None:
    assert run(RULE, facts(), "native").status is Status.PASS


def test_fail_owned_sequence_of_a_table_in_scope() -> None:
    the_facts = facts(sequences=[_seq("public.t_id_seq", "public.t.id")])
    result = run(RULE, the_facts, "native")
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.LOW
    assert finding.message == (
        "1 sequence(s) (public.t_id_seq) are not replicated: set them on the target at cutover"
    )
    assert finding.fix is not None
    assert "FROM pg_sequences" in fix_text(finding)


def test_edge_sequences_of_tables_out_of_scope_are_ignored() -> None:
    the_facts = facts(sequences=[_seq("audit.log_id_seq", "audit.log.id")])
    assert run(RULE, the_facts, "dms").status is Status.PASS


def test_edge_debezium_carries_the_values_in_its_rows() -> None:
    assert not RULE.applies_to("debezium")
    assert RULE.applies_to("dms")


def test_not_evaluated_without_sequences() -> None:
    assert run(RULE, facts(sequences=None), "native").status is Status.NOT_EVALUATED


def test_edge_pg19_native_subscriptions_refresh_published_sequences() -> None:
    """PostgreSQL 19 synchronizes sequences on request: the advice depends on the version."""
    pg19 = server(version="19.0", version_num=190000)
    the_facts = facts(server=pg19, sequences=[Sequence(qualified_name="public.t_id_seq")])
    [finding] = run(RULE, the_facts, "native").findings
    assert "FOR ALL SEQUENCES and refreshed" in finding.message
    assert "ALTER SUBSCRIPTION <subscription> REFRESH SEQUENCES;" in fix_text(finding)
    [dms] = run(RULE, the_facts, "dms").findings
    assert "setval" in fix_text(dms)
