"""CDC014 slot-wal-keep-size-too-small: a limit below one checkpoint cycle."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc014_slot_wal_keep_size_too_small import slot_wal_keep_size_too_small as RULE
from tests.factories import facts, fix_text, run, settings


def test_pass_limit_well_above_max_wal_size() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_limit_below_max_wal_size() -> None:
    the_settings = settings(max_slot_wal_keep_size="512", max_wal_size="2048")
    result = run(RULE, facts(settings=the_settings))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.HIGH
    assert finding.message == (
        "max_slot_wal_keep_size is 512 MiB, below max_wal_size 2 GiB: a consumer one "
        "checkpoint cycle behind loses its slot"
    )
    assert finding.fix is not None
    # the recommended value: 4 x max_wal_size (2 GB), the same the recommended settings show
    assert fix_text(finding).startswith("ALTER SYSTEM SET max_slot_wal_keep_size = '8GB';")


def test_edge_zero_is_the_smallest_limit() -> None:
    assert run(RULE, facts(settings=settings(max_slot_wal_keep_size="0"))).status is Status.FAIL


def test_edge_unlimited_and_pre_13_are_cdc005s() -> None:
    assert run(RULE, facts(settings=settings(max_slot_wal_keep_size="-1"))).status is (Status.PASS)
    assert run(RULE, facts(settings=settings(max_slot_wal_keep_size=None))).status is (Status.PASS)


def test_not_evaluated_without_max_wal_size() -> None:
    the_settings = settings(max_slot_wal_keep_size="512", max_wal_size=None)
    assert run(RULE, facts(settings=the_settings)).status is Status.NOT_EVALUATED


def test_not_evaluated_without_settings() -> None:
    assert run(RULE, facts(settings=None)).status is Status.NOT_EVALUATED
