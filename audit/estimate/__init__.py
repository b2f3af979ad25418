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
from audit.estimate.model import ESTIMATES_VERSION, Estimates, Recommendations
from audit.estimate.options import EstimateOptions
from audit.estimate.runway import runway_estimate
from audit.estimate.snapshot import snapshot_estimate
from audit.estimate.wal import wal_estimates
from audit.estimate.window import window_comparison
from audit.facts import Facts

__all__ = ["ESTIMATES_VERSION", "EstimateOptions", "Estimates", "estimate_all"]


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
    estimates = Estimates(
        profile=profile.name,
        wal=wal.estimates,
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
        window=window_comparison(
            facts, wal.estimates.current_bytes_per_s, wal.window_seconds, options
        ),
    )
    # what report.json holds (six significant digits): rules and report read the same numbers
    return Estimates.model_validate(estimates.model_dump())
