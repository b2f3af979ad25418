"""CDC506 sampling-window-not-representative: the window against the long-term rates."""

from __future__ import annotations

from datetime import datetime, timedelta

from audit.engine import Severity, Status
from audit.facts import Facts, WalSample
from audit.facts.models import DatabaseCounters, Sampling, WalStats
from rules.cdc506_sampling_window_not_representative import (
    sampling_window_not_representative as RULE,
)
from tests.factories import MIB, NOW, database, facts, lsn, run, sampling

WINDOW = 300.0
WAL_PER_S = 20 * MIB / WINDOW


def _facts(
    history_per_s: float | None, reset: datetime | None, window: Sampling | None = None
) -> Facts:
    """The factories' 300 s window (20 MiB of WAL), or ``window``, after ``history_per_s``
    bytes per second of pg_stat_wal history since ``reset``."""
    window = window or sampling()
    first = window.samples[0]
    total = None
    if history_per_s is not None and reset is not None:
        total = int(history_per_s * (first.at - reset).total_seconds())
    samples = [first.model_copy(update={"wal_bytes": total}), *window.samples[1:]]
    return facts(
        sampling=window.model_copy(update={"samples": samples}),
        wal_stats=WalStats(stats_reset=reset),
    )


def _spiky(rates: list[float]) -> Sampling:
    """Samples 10 s apart whose interval WAL rates are ``rates`` bytes per second."""
    start = NOW - timedelta(seconds=10 * len(rates))
    position, samples = 0x5000000, []
    for i in range(len(rates) + 1):
        samples.append(WalSample(at=start + timedelta(seconds=10 * i), lsn=lsn(position)))
        if i < len(rates):
            position += int(rates[i] * 10)
    return Sampling(
        started_at=start,
        ended_at=NOW,
        interval_seconds=10,
        requested_seconds=10 * len(rates),
        methods=["lsn"],
        samples=samples,
        table_deltas={},
    )


def test_pass_when_the_window_runs_at_the_long_term_rate() -> None:
    result = run(RULE, _facts(WAL_PER_S * 1.2, NOW - timedelta(days=10)))
    assert result.status is Status.PASS


def test_fail_quiet_window_understates_the_plan_at_medium() -> None:
    result = run(RULE, _facts(WAL_PER_S * 5, NOW - timedelta(days=7)))
    assert result.status is Status.FAIL
    (finding,) = result.findings
    assert finding.subject == "window:quiet"
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence["ratio"] == 0.2
    assert "0.20 x the long-term rate" in finding.message
    assert "understate" in finding.message and "7.0 days" in finding.message


def test_fail_busy_window_overstates_at_low() -> None:
    result = run(RULE, _facts(WAL_PER_S / 4, NOW - timedelta(days=3)))
    (finding,) = result.findings
    assert (finding.subject, finding.severity) == ("window:busy", Severity.LOW)
    assert "overstate" in finding.message


def test_fail_spiky_window_when_bursts_decide_the_mean() -> None:
    rates = [100e3] * 8 + [2e6, 2.5e6]
    result = run(RULE, _facts(None, None, _spiky(rates)))
    # no long-term signal, but the window's own spread is evidence enough
    (finding,) = result.findings
    assert (finding.subject, finding.severity) == ("window:spiky", Severity.LOW)
    assert "p95 is" in finding.message


def test_edge_spiky_but_negligible_rates_pass() -> None:
    rates = [100.0] * 8 + [2_000.0, 2_500.0]
    assert run(RULE, _facts(None, None, _spiky(rates))).status is Status.PASS


def test_edge_statistics_reset_an_hour_ago_are_no_long_term_rate() -> None:
    """The trap the rule must not fall into: a "long-term" rate over a young span."""
    result = run(RULE, _facts(WAL_PER_S * 50, NOW - timedelta(hours=1)))
    assert result.status is Status.NOT_EVALUATED
    assert "too short to be a long-term rate" in (result.reason or "")


def test_edge_database_counters_decide_when_pg_stat_wal_cannot() -> None:
    reset = NOW - timedelta(days=5)
    window = sampling(wal=None)
    first, last = window.samples
    seconds = (first.at - reset).total_seconds()
    # 2 commits/s over five days, 20 commits/s in the window: a busy window
    before = DatabaseCounters(xact_commit=int(2 * seconds), tup_inserted=0)
    after = DatabaseCounters(xact_commit=int(2 * seconds) + 20 * 300, tup_inserted=0)
    samples = [
        first.model_copy(update={"databases": {"app": before}}),
        last.model_copy(update={"databases": {"app": after}}),
    ]
    result = run(
        RULE,
        facts(
            sampling=window.model_copy(update={"samples": samples}),
            databases=[database(stats_reset=reset)],
        ),
    )
    (finding,) = result.findings
    assert finding.subject == "window:busy"
    assert finding.evidence["deciding_signal"].startswith("commits:")


def test_not_evaluated_when_statistics_were_never_reset() -> None:
    result = run(RULE, _facts(None, None))
    assert result.status is Status.NOT_EVALUATED
    assert "never reset" in (result.reason or "")


def test_not_evaluated_without_sampling() -> None:
    assert run(RULE, facts(sampling=None)).status is Status.NOT_EVALUATED


def test_the_wal_rate_long_term_figure_is_the_compared_one_and_only_that() -> None:
    """estimates.wal.current_bytes_per_s.long_term: the long-term rate the window comparison
    accepted; statistics reset an hour ago give none (no rate over a minute-old stats window)."""
    from audit.engine import get_profile
    from audit.estimate import estimate_all

    old = estimate_all(_facts(WAL_PER_S * 1.2, NOW - timedelta(days=10)), get_profile("debezium"))
    compared = next(s for s in old.window.signals if s.compared)
    assert old.wal.current_bytes_per_s.long_term == compared.long_term_per_s
    assert compared.long_term_per_s is not None
    assert abs(compared.long_term_per_s / (WAL_PER_S * 1.2) - 1) < 1e-3
    recent = estimate_all(_facts(WAL_PER_S * 5, NOW - timedelta(hours=1)), get_profile("debezium"))
    assert recent.window.signals[0].long_term_per_s is not None  # listed, with its reason
    assert not recent.window.signals[0].compared
    assert recent.wal.current_bytes_per_s.long_term is None
