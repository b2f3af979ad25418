"""CDC113 row-security-hides-rows: policies silently filter the snapshot."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc113_row_security_hides_rows import row_security_hides_rows as RULE
from tests.factories import facts, fix_text, role, run, table

SECURED = table("public.accounts", row_security=True, owner="app")


def test_pass_no_row_security() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_role_subject_to_policies() -> None:
    result = run(RULE, facts(tables=[SECURED]))
    [finding] = result.findings
    assert finding.subject == "role:cdc"
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        "row-level security filters what role cdc reads from 1 table(s) (public.accounts): "
        "their snapshot silently misses rows"
    )
    assert finding.fix is not None
    assert fix_text(finding).startswith("ALTER ROLE cdc BYPASSRLS;")
    assert "CREATE POLICY cdc_snapshot ON public.accounts FOR SELECT TO cdc USING (true);" in (
        fix_text(finding)
    )


def test_edge_bypassrls_superuser_and_owner_are_not_filtered() -> None:
    for who in (role(bypass_rls=True), role(superuser=True), role(member_of=["app"])):
        assert run(RULE, facts(tables=[SECURED], role=who)).status is Status.PASS


def test_not_evaluated_when_bypassrls_is_unknown() -> None:
    result = run(RULE, facts(tables=[SECURED], role=role(bypass_rls=None)))
    assert result.status is Status.NOT_EVALUATED


def test_not_evaluated_without_role() -> None:
    assert run(RULE, facts(role=None)).status is Status.NOT_EVALUATED
