"""The WAL rate now: p50 / p95 / max / mean over the sample intervals, and a long-term average.

The rate comes from the first method that has data, in this order:

1. ``lsn``: ``pg_current_wal_lsn()`` deltas between consecutive samples (exact WAL bytes);
2. ``pg_stat_wal``: ``wal_bytes`` deltas (record bytes, without WAL page headers);
3. ``cloudwatch``: the ``TransactionLogsGeneration`` series (RDS; not published for Aurora);
4. ``row_changes``: modelled, not measured (Aurora before logical replication is on): the
   window's row counters times record sizes plus full-page images from the pages touched per
   checkpoint cycle (:mod:`audit.estimate.wal_model`), a low-high range.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from audit.estimate.model import WalRate
from audit.estimate.wal_model import ModelledWal
from audit.facts import Facts, WalSample
from audit.facts.lsn import parse_lsn

Floats = npt.NDArray[np.float64]


def _interval_rates(samples: Sequence[WalSample], field: str) -> Floats:
    """Bytes per second between consecutive samples that have ``field`` (intervals of no
    time, or where the counter went back, left out)."""
    points = [
        (s.at, parse_lsn(s.lsn) if field == "lsn" and s.lsn else getattr(s, field)) for s in samples
    ]
    usable = [(at, value) for at, value in points if value is not None]
    if len(usable) < 2:
        return np.array([], dtype=np.float64)
    seconds = np.array([(b[0] - a[0]).total_seconds() for a, b in pairwise(usable)])
    delta = np.diff(np.array([float(value) for _, value in usable]))
    kept = (seconds > 0) & (delta >= 0)
    rates: Floats = delta[kept] / seconds[kept]
    return rates


def _summary(rates: Floats) -> dict[str, float]:
    p50, p95 = np.quantile(rates, [0.5, 0.95])  # linear interpolation between the order stats
    return {
        "p50": float(p50),
        "p95": float(p95),
        "max": float(rates.max()),
        "mean": float(rates.mean()),
    }


def _window_mean(samples: Sequence[WalSample], field: str) -> float | None:
    """Bytes over the whole window / its seconds (the rate that matches the row deltas)."""
    usable = [s for s in samples if (s.lsn if field == "lsn" else getattr(s, field)) is not None]
    if len(usable) < 2:
        return None
    first, last = usable[0], usable[-1]
    seconds = (last.at - first.at).total_seconds()
    if seconds <= 0:
        return None
    if field == "lsn":
        assert first.lsn is not None and last.lsn is not None
        return (parse_lsn(last.lsn) - parse_lsn(first.lsn)) / seconds
    return float(getattr(last, field) - getattr(first, field)) / seconds


def window_seconds(facts: Facts) -> float | None:
    sampling = facts.sampling
    if sampling is None:
        return None
    seconds = (sampling.ended_at - sampling.started_at).total_seconds()
    return seconds if seconds > 0 else None


def current_wal_rate(facts: Facts, model: Callable[[], ModelledWal | None]) -> WalRate:
    """``estimates.wal.current_bytes_per_s``; ``model`` makes the row-change method's
    replica-mode WAL over the window (:func:`audit.estimate.wal_model.modelled_wal`), called
    only when no measured rate exists (it costs a second at 50,000 tables)."""
    sampling = facts.sampling
    samples = sampling.samples if sampling else []
    for field, method, label in (
        ("lsn", "lsn", "pg_current_wal_lsn() deltas between samples"),
        ("wal_bytes", "pg_stat_wal", "pg_stat_wal.wal_bytes deltas between samples"),
    ):
        rates = _interval_rates(samples, field)
        if len(rates) == 0:
            continue
        summary = _summary(rates)
        window = _window_mean(samples, field)
        assumptions = [f"{label}; p50/p95/max over {len(rates)} intervals"]
        if method == "pg_stat_wal":
            assumptions.append("pg_stat_wal counts record bytes: WAL page headers (0.3%) excluded")
        return WalRate(
            method=method,
            inputs={"sampling.samples": len(samples)},
            assumptions=assumptions,
            **summary,
            window_mean=window if window is not None else summary["mean"],
            samples=len(samples),
            intervals=len(rates),
        )
    cloudwatch = _cloudwatch(facts)
    if cloudwatch is not None:
        return cloudwatch
    seconds = window_seconds(facts)
    modelled = model() if seconds is not None else None
    if modelled is not None and seconds is not None:
        rate = modelled.total.scale(1 / seconds)
        return WalRate(
            method="row_changes",
            inputs={
                "sampling.table_deltas": len(sampling.table_deltas) if sampling else 0,
                "window_seconds": seconds,
                **modelled.inputs,
                "components_bytes": {k: v.as_dict() for k, v in modelled.components.items()},
            },
            assumptions=list(modelled.assumptions),
            p50=rate.expected,
            p95=rate.expected,
            max=rate.expected,
            mean=rate.expected,
            window_mean=rate.expected,
            range=rate,
            samples=len(samples),
            intervals=1,
        )
    return WalRate.unavailable(
        "no WAL position, pg_stat_wal, CloudWatch or row-change data was sampled",
        inputs={"sampling.methods": sampling.methods if sampling else None},
    )


def _cloudwatch(facts: Facts) -> WalRate | None:
    series = facts.aws.series("TransactionLogsGeneration") if facts.aws else None
    if series is None or len(series.points) == 0:
        return None
    values = np.array([float(v) for _, v in series.points], dtype=np.float64)
    summary = _summary(values)
    return WalRate(
        method="cloudwatch",
        inputs={
            "aws.metrics.TransactionLogsGeneration": {
                "points": len(values),
                "period_seconds": series.period_seconds,
                "statistic": series.statistic,
            }
        },
        assumptions=[
            f"CloudWatch TransactionLogsGeneration ({series.statistic} per "
            f"{series.period_seconds} s): each point is already an average over its period",
        ],
        **summary,
        window_mean=summary["mean"],
        long_term=summary["mean"],
        samples=len(values),
        intervals=len(values),
    )
