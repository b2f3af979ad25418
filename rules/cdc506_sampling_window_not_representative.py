"""CDC506: the sampling window is quieter, busier or spikier than the server's long-term load."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import (
    Finding,
    NotEvaluated,
    RuleContext,
    RuleOptions,
    Severity,
    Unit,
    option,
    rule,
)
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note
from audit.units import fmt_rate
from rules._estimates import estimates_for, require_estimate


class Options(RuleOptions):
    spiky_min_bytes_per_s: float = option(
        64 * 1024.0,
        unit=Unit.BYTES_PER_SECOND,
        ge=0,
        description="window mean WAL rate below which bursts do not matter to the plan",
    )


_SEVERITY = {"quiet": Severity.MEDIUM, "busy": Severity.LOW, "spiky": Severity.LOW}


@rule(
    code="CDC506",
    name="sampling-window-not-representative",
    severity=Severity.MEDIUM,
    requires=("sampling",),
    options=Options,
)
def sampling_window_not_representative(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The sampling window is quieter, busier or spikier than the server's long-term load.

    ## What it checks
    The `window` estimate: the window's WAL rate (else its commit or row-change rate) against
    the same counter's rate since its statistics reset (`pg_stat_wal`, `pg_stat_database`) or
    CloudWatch's 24-hour WAL generation on AWS. A span shorter than
    `[estimates] window_min_span_hours` (default 24 h) is no long-term rate and is not
    compared. Fails at **medium** when the window ran below `window_quiet_ratio` (0.5) of the
    long-term rate, at **low** when above `window_busy_ratio` (2.0), and at **low** when its
    interval rates' p95 exceeds `window_spiky_ratio` (3.0) x their p50 while the mean is
    above the option `spiky_min_bytes_per_s` (64 KiB/s). Not evaluated when no signal spans
    long enough, with the reason of each.

    ## Why it matters for CDC
    Every capacity figure (WAL under logical, the WAL held during the snapshot, the runway,
    the recommended `max_slot_wal_keep_size`) scales with the sampled rate. A window taken in
    a quiet minute understates them: the slot limit and the disk the plan sizes run out at
    the daily peak. A busy window overstates them; a spiky one lets a few bursts decide the
    mean.

    ## How to fix
    Audit again at the busiest hour of the week (or with a longer `--sample-seconds`, up to
    the bound the CLI allows), or accept the figures knowing the ratio the finding gives:
    scale the WAL figures of the plan by it. On AWS, CloudWatch's `TransactionLogsGeneration`
    over a week shows when the peak is.

    ## References
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-WAL-VIEW
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-DATABASE-VIEW
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
    """
    estimates = estimates_for(facts, ctx)
    window = estimates.window
    if window is None:
        raise NotEvaluated("the estimates carry no window comparison")
    require_estimate(window, "window")
    rate = estimates.wal.current_bytes_per_s
    floor = ctx.options_for(Options).spiky_min_bytes_per_s
    if window.basis == "unknown":
        reasons = "; ".join(f"{s.signal}: {s.reason}" for s in window.signals if s.reason)
        raise NotEvaluated(f"no long-term rate to compare the window with ({reasons})")
    if window.basis == "representative":
        return
    if window.basis == "spiky" and (rate.window_mean or 0.0) < floor:
        return
    deciding = next((s for s in window.signals if s.signal == window.deciding_signal), None)
    seconds = window.window_seconds or 0.0
    if window.basis == "spiky":
        message = (
            f"the {seconds:.0f} s window is spiky: its interval WAL rates' p95 is "
            f"{window.spread:.1f} x their p50 ({fmt_rate(rate.p95 or 0.0)} against "
            f"{fmt_rate(rate.p50 or 0.0)}); a few bursts decide the mean the plan uses"
        )
    else:
        assert deciding is not None and window.ratio is not None
        span_days = (deciding.span_seconds or 0.0) / 86400
        direction = "understate" if window.basis == "quiet" else "overstate"
        message = (
            f"the {seconds:.0f} s window ran at {window.ratio:.2f} x the long-term rate "
            f"({deciding.signal.split(':')[0]} over {span_days:.1f} days): the capacity "
            f"figures, which use the window's rate, {direction} the usual load"
        )
    yield Finding(
        subject=f"window:{window.basis}",
        message=message,
        severity=_SEVERITY[window.basis],
        evidence={
            "basis": window.basis,
            "ratio": window.ratio,
            "spread": window.spread,
            "window_seconds": window.window_seconds,
            "deciding_signal": window.deciding_signal,
            "long_term_per_s": deciding.long_term_per_s if deciding else None,
            "window_per_s": deciding.window_per_s if deciding else None,
            "span_seconds": deciding.span_seconds if deciding else None,
        },
        fix=Fix(
            steps=(
                note(
                    "audit again at the busiest hour of the week, or with a longer "
                    "--sample-seconds, and compare the WAL figures",
                    ChangeWindow.ONLINE,
                ),
            )
        ),
    )
