"""CDC302 cannot-create-publication: the publication is missing and the role cannot make it."""

from __future__ import annotations

from typing import Any

from audit.engine import Severity, Status
from rules.cdc302_cannot_create_publication import cannot_create_publication as RULE
from tests.factories import aurora, facts, fix_text, publication, role, run, table

NONE: dict[str, Any] = {"publications": []}


def test_pass_publication_exists() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_pass_superuser_creates_it() -> None:
    assert run(RULE, facts(role=role(superuser=True), **NONE)).status is Status.PASS


def test_fail_role_owns_nothing() -> None:
    result = run(RULE, facts(tables=[table(), table("public.u")], **NONE))
    [finding] = result.findings
    assert finding.subject == "publication:dbz_publication"
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        "publication dbz_publication does not exist and role cdc cannot create it: it is not a "
        "superuser and does not own 2 of 2 tables in scope"
    )
    assert fix_text(finding) == (
        "CREATE PUBLICATION dbz_publication FOR TABLE public.t, public.u;  -- as a superuser or "
        "the tables' owner\n-- then set publication.autocreate.mode=disabled in the connector"
    )


def test_fail_owner_without_create_on_database() -> None:
    the_facts = facts(role=role(member_of=["app"], can_create_on_database=False), **NONE)
    [finding] = run(RULE, the_facts).findings
    assert "has no CREATE on the database" in finding.message


def test_edge_owner_can_only_create_it_for_tables_debezium_all_tables_mode_cannot() -> None:
    owner = role(member_of=["app"])
    result = run(RULE, facts(role=owner, **NONE))
    assert result.severity_of(result.findings[0]) is Severity.LOW
    assert run(RULE, facts(role=owner, **NONE), "native", publication="sub_pub").status is (
        Status.PASS
    )


def test_edge_rds_superuser_gets_the_benefit_of_the_doubt() -> None:
    the_facts = facts(server=aurora(), role=role(member_of=["rds_superuser"]), **NONE)
    assert run(RULE, the_facts).status is Status.PASS


def test_edge_named_publication_option() -> None:
    the_facts = facts(publications=[publication("cdc_pub")])
    assert run(RULE, the_facts, publication="cdc_pub").status is Status.PASS
    assert run(RULE, the_facts).status is Status.FAIL


def test_not_evaluated_for_native_without_a_publication_name() -> None:
    result = run(RULE, facts(**NONE), "native")
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None
    assert "[rules.CDC302]" in result.reason


def test_not_evaluated_without_publications() -> None:
    assert run(RULE, facts(publications=None)).status is Status.NOT_EVALUATED
