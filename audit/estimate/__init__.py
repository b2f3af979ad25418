"""Capacity estimates: pure functions of the facts (no network, no clock).

:func:`estimate_all` returns the typed :class:`~audit.estimate.model.Estimates`; its
``model_dump()`` is the ``estimates`` section of report.json. Every figure carries ``status``
(``ok`` or ``unavailable`` with a ``reason``), ``method``, ``inputs`` and ``assumptions`` beside
its numbers; ranges are ``{low, expected, high}``.
"""

from __future__ import annotations

from audit.engine.profile import Profile
from audit.estimate import recommend
from audit.estimate.change_stream import change_stream_estimate
from audit.estimate.model import (
    ESTIMATES_VERSION,
    Estimates,
    Recommendations,
    WalEstimates,
    WindowComparison,
)
from audit.estimate.options import EstimateOptions
from audit.estimate.runway import runway_estimate
from audit.estimate.snapshot import snapshot_estimate
from audit.estimate.wal import wal_estimates
from audit.estimate.window import window_comparison
from audit.facts import Facts

__all__ = ["ESTIMATES_VERSION", "EstimateOptions", "Estimates", "estimate_all"]


def _with_long_term(wal: WalEstimates, window: WindowComparison) -> WalEstimates:
    """The current rate's ``long_term``: the WAL long-term rate the window comparison accepted
    (one figure, one span guard), never a rate over statistics reset a minute ago."""
    rate = wal.current_bytes_per_s
    if rate.method == "cloudwatch":  # its own series' mean, set with it
        return wal
    accepted = next(
        (s.long_term_per_s for s in window.signals if s.compared and s.unit == "bytes/s"), None
    )
    if accepted is None:
        return wal
    current = rate.model_copy(
        update={
            "long_term": accepted,
            "assumptions": [*rate.assumptions, "long_term: as compared in estimates.window"],
        }
    )
    return wal.model_copy(update={"current_bytes_per_s": current})


def estimate_all(
    facts: Facts, profile: Profile, options: EstimateOptions | None = None
) -> Estimates:
    """Every capacity estimate for ``facts`` under ``profile`` (see docs/capacity.md)."""
    options = options or EstimateOptions()
    wal = wal_estimates(facts, options)
    change_stream, events = change_stream_estimate(facts, wal.widths, wal.window_seconds)
    snapshot = snapshot_estimate(facts, profile, options, wal.logical_rate, events)
    runway = runway_estimate(facts, options, wal.logical_rate, wal.logical_p95)
    settings = recommend.settings(profile, facts, options, snapshot)
    keep = next((s for s in settings if s.name == "max_slot_wal_keep_size"), None)
    window = window_comparison(
        facts, wal.estimates.current_bytes_per_s, wal.window_seconds, options
    )
    estimates = Estimates(
        profile=profile.name,
        wal=_with_long_term(wal.estimates, window),
        change_stream=change_stream,
        decoding=recommend.decoding_load(options, wal.logical_rate, facts.decoding_probe),
        snapshot=snapshot,
        runway=runway,
        recommendations=Recommendations(
            plan=recommend.plan(profile, options),
            incremental_snapshot_chunk_size=recommend.chunk_size(facts, wal.widths),
            heartbeat=recommend.heartbeat(profile, facts, wal.logical_p95, keep),
            settings=settings,
        ),
        window=window,
    )
    # what report.json holds (six significant digits): rules and report read the same numbers
    return Estimates.model_validate(estimates.model_dump())
