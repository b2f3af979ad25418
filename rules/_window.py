"""What the sampling window saw: WAL written and rows changed, instance-wide and per table."""

from __future__ import annotations

from collections.abc import Iterable

from audit.facts import Sampling

ROW_COUNTERS = ("n_tup_ins", "n_tup_upd", "n_tup_del")


def window_seconds(sampling: Sampling) -> float:
    return (sampling.ended_at - sampling.started_at).total_seconds()


def wal_bytes(sampling: Sampling) -> int | None:
    """WAL written from the first to the last sample: LSN delta, else ``pg_stat_wal`` delta."""
    positions = [s.lsn.position for s in sampling.samples if s.lsn]
    if len(positions) >= 2:
        return positions[-1] - positions[0]
    counters = [s.wal_bytes for s in sampling.samples if s.wal_bytes is not None]
    if len(counters) >= 2:
        return counters[-1] - counters[0]
    return None


def instance_row_changes(sampling: Sampling) -> int | None:
    """Rows inserted, updated and deleted in every database of the instance over the window."""
    usable = [
        s for s in sampling.samples if None not in (s.tup_inserted, s.tup_updated, s.tup_deleted)
    ]
    if len(usable) < 2:
        return None
    first, last = usable[0], usable[-1]
    return sum(
        (getattr(last, f) or 0) - (getattr(first, f) or 0)
        for f in ("tup_inserted", "tup_updated", "tup_deleted")
    )


def table_row_changes(sampling: Sampling, tables: Iterable[str]) -> int | None:
    """Rows changed in ``tables`` over the window; None when row changes were not sampled."""
    if "row_changes" not in sampling.methods:
        return None
    deltas = sampling.table_deltas
    return sum(
        sum(delta.get(c, 0) for c in ROW_COUNTERS)
        for name in tables
        if (delta := deltas.get(name)) is not None
    )
