"""Capacity estimates: pure functions of the facts (no network, no clock).

:func:`estimate_all` returns the JSON-ready ``estimates`` section of report.json. Every estimate
object carries ``status`` (``ok`` or ``unavailable`` with a ``reason``), ``method``, ``inputs``
and ``assumptions`` beside its numbers; ranges are ``{low, expected, high}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.engine.profile import Profile
from audit.estimate import recommend
from audit.estimate.change_stream import change_stream_estimate
from audit.estimate.result import plain
from audit.estimate.runway import runway_estimate
from audit.estimate.snapshot import snapshot_estimate
from audit.estimate.wal import wal_estimates
from audit.facts import Facts

ESTIMATES_VERSION = 1

__all__ = ["ESTIMATES_VERSION", "estimate_all"]


def estimate_all(
    facts: Facts, profile: Profile, options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Every capacity estimate for ``facts`` under ``profile`` (see docs/capacity.md)."""
    options = dict(options or {})
    wal = wal_estimates(facts, options)
    change_stream, events = change_stream_estimate(facts, wal.widths, wal.window_seconds)
    snapshot = snapshot_estimate(facts, profile, options, wal.logical_rate, events)
    runway = runway_estimate(facts, options, wal.logical_rate, wal.logical_p95)
    recommendations = {
        "incremental_snapshot_chunk_size": recommend.chunk_size(facts, wal.widths),
        "max_slot_wal_keep_size": recommend.keep_size(facts, options, snapshot),
        "heartbeat": recommend.heartbeat(profile, facts, wal.logical_p95),
        "slots_and_senders": recommend.slots_and_senders(profile, facts),
    }
    result = {
        "version": ESTIMATES_VERSION,
        "profile": profile.name,
        "wal": wal.estimates,
        "change_stream": change_stream,
        "decoding": recommend.decoding_load(options, wal.logical_rate),
        "snapshot": snapshot,
        "runway": runway,
        "recommendations": recommendations,
    }
    converted: dict[str, Any] = plain(result)
    return converted
