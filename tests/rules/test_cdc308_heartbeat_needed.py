"""CDC308 heartbeat-needed: quiet captured tables on a busy instance never advance the slot."""

from __future__ import annotations

from audit.engine import Severity, Status
from rules.cdc308_heartbeat_needed import heartbeat_needed as RULE
from tests.factories import MIB, facts, fix_text, run, sampling, settings

QUIET = {"public.other_db_table": {"n_tup_ins": 900}}


def test_pass_captured_tables_change() -> None:
    assert run(RULE, facts()).status is Status.PASS


def test_fail_quiet_tables_busy_wal() -> None:
    the_facts = facts(sampling=sampling(wal=120 * MIB, instance_rows=50_000, table_deltas=QUIET))
    result = run(RULE, the_facts)
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.MEDIUM
    assert finding.message == (
        "the 1 captured table(s) saw no change in 5 min while the instance wrote 120 MiB of WAL "
        "and 50,000 rows changed elsewhere: the slot cannot advance without heartbeats"
    )
    assert finding.fix is not None
    assert "heartbeat.action.query" in fix_text(finding)


def test_fail_dms_fix_is_the_endpoint_setting() -> None:
    the_facts = facts(sampling=sampling(wal=120 * MIB, table_deltas=QUIET))
    [finding] = run(RULE, the_facts, "dms").findings
    assert finding.fix is not None
    assert "HeartbeatEnable=true" in fix_text(finding)


def test_fail_without_lsn_the_instance_row_counters_suffice() -> None:
    """Aurora before logical replication: no LSN, but pg_stat_database still counts rows."""
    the_facts = facts(sampling=sampling(wal=None, instance_rows=20_000, table_deltas={}))
    [finding] = run(RULE, the_facts).findings
    assert "20,000 rows changed elsewhere" in finding.message


def test_edge_idle_instance_needs_no_heartbeat() -> None:
    the_facts = facts(sampling=sampling(wal=2 * MIB, instance_rows=10, table_deltas={}))
    assert run(RULE, the_facts).status is Status.PASS


def test_edge_native_subscriptions_are_not_judged() -> None:
    assert not RULE.applies_to("native")


def test_not_evaluated_when_the_window_is_too_short() -> None:
    the_facts = facts(sampling=sampling(seconds=20, wal=120 * MIB, table_deltas={}))
    result = run(RULE, the_facts)
    assert result.status is Status.NOT_EVALUATED
    assert result.reason is not None
    assert "too short" in result.reason


def test_not_evaluated_without_row_change_sampling() -> None:
    the_facts = facts(sampling=sampling(methods=["lsn"], table_deltas={}))
    assert run(RULE, the_facts).status is Status.NOT_EVALUATED


def test_not_evaluated_when_track_counts_is_off() -> None:
    the_facts = facts(
        settings=settings(track_counts="off"),
        sampling=sampling(wal=120 * MIB, table_deltas={}),
    )
    assert run(RULE, the_facts).status is Status.NOT_EVALUATED


def test_not_evaluated_without_sampling() -> None:
    assert run(RULE, facts(sampling=None)).status is Status.NOT_EVALUATED
