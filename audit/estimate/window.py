"""How the sampling window compares with what the server knows over a longer span.

A 20-60 s window can fall in a quiet minute or on a burst. The server keeps cumulative
counters since its statistics were last reset: ``pg_stat_wal.wal_bytes`` and the audited
database's ``pg_stat_database`` commits and row changes, read at the first sample; on AWS,
CloudWatch's 24-hour series of the WAL generation (TransactionLogsGeneration) or, without it,
the volume's write throughput. Each gives a long-term rate to set the window's rate against.

A long-term rate over a short span is no long-term rate: statistics reset a minute ago say
nothing the window does not. A signal is compared only when its span is at least
``min_span_hours`` (default 24 h: one daily cycle) and at least ten windows long; otherwise
it is listed with the reason it was not compared.

The window is **quiet** when its rate is below ``quiet_ratio`` x the long-term rate (the
capacity plan may understate the load), **busy** above ``busy_ratio`` x (it may overstate it),
**spiky** when its interval rates' p95 is more than ``spiky_ratio`` x their p50 (a few bursts
decide the mean), else **representative**; **unknown** when no signal could be compared. The
plan's figures always use the window's rate (the rate the predictor was validated on); this
estimate says how far the window is from the long-term rate, and the report says so beside
the headline figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from audit.estimate.model import Basis, LongTermSignal, WalRate, WindowComparison
from audit.estimate.options import EstimateOptions
from audit.facts import Facts
from audit.facts.models import WalSample
from audit.units import fmt_seconds

#: Spans shorter than this many windows are never compared, whatever min_span_hours says.
MIN_WINDOWS_IN_SPAN = 10


def _span_reason(span: float, window: float, options: EstimateOptions) -> str | None:
    needed = max(options.window_min_span_hours * 3600.0, MIN_WINDOWS_IN_SPAN * window)
    if span >= needed:
        return None
    return (
        f"the span is {fmt_seconds(span)}: too short to be a long-term rate "
        f"(at least {fmt_seconds(needed)})"
    )


def _compare(
    signal: str,
    unit: str,
    since: datetime | None,
    span: float | None,
    total: float | None,
    window_rate: float | None,
    window: float,
    options: EstimateOptions,
) -> LongTermSignal:
    base = LongTermSignal(
        signal=signal,
        unit=unit,
        since=since.isoformat() if since else None,
        span_seconds=span,
    )
    if since is None:
        return base.model_copy(
            update={"reason": "never reset: counting since initdb or a crash, span unknown"}
        )
    if span is None or total is None or span <= 0:
        return base.model_copy(update={"reason": "no cumulative counter at the first sample"})
    long_term = total / span
    update: dict[str, object] = {"long_term_per_s": long_term, "window_per_s": window_rate}
    if window_rate is None:
        update["reason"] = "the window has no rate of this quantity"
    elif (reason := _span_reason(span, window, options)) is not None:
        update["reason"] = reason
    elif long_term <= 0:
        update["reason"] = "nothing was counted over the span"
    else:
        update["ratio"] = window_rate / long_term
        update["compared"] = True
    return base.model_copy(update=update)


def _since(first: WalSample, reset: datetime | None) -> float | None:
    return (first.at - reset).total_seconds() if reset is not None else None


def _database_reset(facts: Facts, name: str | None) -> datetime | None:
    database = next((d for d in facts.databases or [] if d.name == name), None)
    return database.stats_reset if database else None


def _database_counters(
    facts: Facts, sample: WalSample
) -> tuple[float | None, float | None, str | None]:
    """The audited database's commits and row changes at ``sample`` (since the reset)."""
    name = facts.server.current_database if facts.server else None
    counters = sample.databases.get(name) if name else None
    if counters is None:
        return None, None, None
    commits = float(counters.xact_commit) if counters.xact_commit is not None else None
    parts = (counters.tup_inserted, counters.tup_updated, counters.tup_deleted)
    rows = (
        float(sum(p for p in parts if p is not None)) if any(p is not None for p in parts) else None
    )
    return commits, rows, name


def _window_rate(samples: Sequence[WalSample], pick: str, database: str | None) -> float | None:
    if len(samples) < 2 or database is None:
        return None
    first = samples[0].databases.get(database)
    last = samples[-1].databases.get(database)
    seconds = (samples[-1].at - samples[0].at).total_seconds()
    if first is None or last is None or seconds <= 0:
        return None
    fields = (
        ("xact_commit",) if pick == "commits" else ("tup_inserted", "tup_updated", "tup_deleted")
    )
    before = [getattr(first, f) for f in fields]
    after = [getattr(last, f) for f in fields]
    if any(v is None for v in before + after):
        return None
    return float(sum(after) - sum(before)) / seconds


def _cloudwatch(
    facts: Facts, window_wal: float | None, window: float, options: EstimateOptions
) -> LongTermSignal | None:
    if facts.aws is None:
        return None
    for metric in ("TransactionLogsGeneration", "WriteThroughput"):
        series = facts.aws.series(metric)
        if series is None or len(series.points) < 2:
            continue
        times = [t for t, _ in series.points]
        span = (max(times) - min(times)).total_seconds() + float(series.period_seconds)
        mean = sum(float(v) for _, v in series.points) / len(series.points)
        label = f"CloudWatch {metric} ({series.statistic}, {len(series.points)} points)"
        window_rate = window_wal if metric == "TransactionLogsGeneration" else None
        if metric == "WriteThroughput":
            return LongTermSignal(
                signal=label,
                unit="bytes/s",
                since=min(times).isoformat(),
                span_seconds=span,
                long_term_per_s=mean,
                reason="volume writes, not WAL: shown for scale, not compared with the window",
            )
        return _compare(
            label, "bytes/s", min(times), span, mean * span, window_rate, window, options
        )
    return None


def window_comparison(
    facts: Facts, rate: WalRate, window: float | None, options: EstimateOptions
) -> WindowComparison:
    """``estimates.window`` (see the module docstring)."""
    method = "window rate / long-term rate of the same counter"
    if window is None:
        return WindowComparison.unavailable("the sampling window has no duration", method=method)
    samples = facts.sampling.samples if facts.sampling else []
    if not samples:
        return WindowComparison.unavailable("no sample was taken", method=method)
    first = samples[0]
    wal_reset = facts.wal_stats.stats_reset if facts.wal_stats else None
    window_wal = rate.window_mean if rate.ok and rate.method in ("lsn", "pg_stat_wal") else None
    signals = [
        _compare(
            "WAL bytes: pg_stat_wal.wal_bytes since pg_stat_wal.stats_reset",
            "bytes/s",
            wal_reset,
            _since(first, wal_reset),
            float(first.wal_bytes) if first.wal_bytes is not None else None,
            window_wal,
            window,
            options,
        )
    ]
    commits, rows, database = _database_counters(facts, first)
    reset = _database_reset(facts, database)
    where = f"pg_stat_database ({database})" if database else "pg_stat_database"
    for label, unit, total, pick in (
        ("xact_commit", "commits/s", commits, "commits"),
        ("inserts + updates + deletes", "rows/s", rows, "rows"),
    ):
        signals.append(
            _compare(
                f"{pick.replace('_', ' ')}: {where} {label} since its stats_reset",
                unit,
                reset,
                _since(first, reset),
                total,
                _window_rate(samples, pick, database),
                window,
                options,
            )
        )
    if rate.method != "cloudwatch" and (cw := _cloudwatch(facts, window_wal, window, options)):
        signals.append(cw)
    spread = None
    if rate.ok and rate.p50 and rate.p95 is not None and (rate.intervals or 0) >= 3:
        spread = rate.p95 / rate.p50
    deciding = next((s for s in signals if s.compared), None)
    basis: Basis = "unknown"
    ratio = deciding.ratio if deciding else None
    if ratio is not None:
        if ratio < options.window_quiet_ratio:
            basis = "quiet"
        elif ratio > options.window_busy_ratio:
            basis = "busy"
    if basis == "unknown" and spread is not None and spread > options.window_spiky_ratio:
        basis = "spiky"
    if basis == "unknown" and ratio is not None:
        basis = "representative"
    return WindowComparison(
        method=method,
        inputs={
            "window_seconds": window,
            "wal_stats.stats_reset": wal_reset.isoformat() if wal_reset else None,
            "databases[].stats_reset": reset.isoformat() if reset else None,
            "quiet_ratio": options.window_quiet_ratio,
            "busy_ratio": options.window_busy_ratio,
            "spiky_ratio": options.window_spiky_ratio,
            "min_span_hours": options.window_min_span_hours,
        },
        assumptions=[
            "the first signal that could be compared decides: WAL bytes, then commits, then "
            "row changes, then CloudWatch's WAL generation",
            "a span shorter than min_span_hours (or ten windows) is no long-term rate: not "
            "compared",
            "the capacity plan uses the window's rate either way",
        ],
        basis=basis,
        window_seconds=window,
        ratio=ratio,
        deciding_signal=deciding.signal if deciding else None,
        spread=spread,
        signals=signals,
    )
