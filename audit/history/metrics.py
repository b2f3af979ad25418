"""The capacity figures a diff compares, read from a report.json document.

Each figure is the one the report itself shows (the capacity plan's headline values and the
inventory), read from the document, never recomputed; a figure the report could not estimate
is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Unit = Literal["bytes", "bytes/s", "seconds", "hours", "count"]
Document = Mapping[str, Any]


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    unit: Unit
    subject: str | None
    value: float | None


def _path(doc: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(doc, Mapping):
            return None
        doc = doc.get(key)
    return doc


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _estimate(doc: Document, *keys: str) -> float | None:
    """A figure of an estimate node, or None when the node's status is not ok."""
    node = _path(doc, "estimates", *keys[:-1])
    if not isinstance(node, Mapping) or node.get("status") not in (None, "ok"):
        return None
    return _number(_path(node, *keys[-1].split(".")))


def _wal_now(doc: Document) -> float | None:
    """The mean over the sampling window, as the capacity plan's "WAL now (mean)"."""
    window = _estimate(doc, "wal", "current_bytes_per_s", "window_mean")
    return window if window is not None else _estimate(doc, "wal", "current_bytes_per_s", "mean")


def _tables(doc: Document) -> list[Mapping[str, Any]]:
    tables = _path(doc, "inventory", "tables")
    return [t for t in tables if isinstance(t, Mapping)] if isinstance(tables, list) else []


def _table_count(doc: Document) -> float | None:
    tables = _tables(doc)
    return float(len(tables)) if tables else None


def _table_bytes(doc: Document) -> float | None:
    """Heap + TOAST + indexes of every table; partitioned parents hold no data of their own."""
    sizes = [_number(t.get("total_bytes")) for t in _tables(doc) if t.get("kind") != "partitioned"]
    known = [s for s in sizes if s is not None]
    return sum(known) if known else None


_SCALARS: tuple[tuple[str, str, Unit, Callable[[Document], float | None]], ...] = (
    ("wal_now_bytes_per_s", "WAL now (mean)", "bytes/s", _wal_now),
    (
        "wal_logical_bytes_per_s",
        "WAL under logical",
        "bytes/s",
        lambda d: _estimate(d, "wal", "logical_bytes_per_s", "expected"),
    ),
    (
        "snapshot_seconds",
        "Snapshot duration",
        "seconds",
        lambda d: _estimate(d, "snapshot", "seconds.expected"),
    ),
    (
        "snapshot_retained_wal_bytes",
        "WAL retained during the snapshot",
        "bytes",
        lambda d: _estimate(d, "snapshot", "retained_wal_bytes.expected"),
    ),
    (
        "runway_hours",
        "Runway of a stalled slot",
        "hours",
        lambda d: _estimate(d, "runway", "hours.expected"),
    ),
    ("tables", "Tables", "count", _table_count),
    ("table_bytes", "Table size (heap, TOAST, indexes)", "bytes", _table_bytes),
)


def _slots(doc: Document) -> list[Figure]:
    slots = _path(doc, "inventory", "slots")
    figures = []
    for slot in slots if isinstance(slots, list) else []:
        if isinstance(slot, Mapping) and isinstance(slot.get("name"), str):
            figures.append(
                Figure(
                    "retained_wal_bytes",
                    "WAL retained by slot",
                    "bytes",
                    slot["name"],
                    _number(slot.get("retained_bytes")),
                )
            )
    return figures


def figures(doc: Document) -> list[Figure]:
    """Every compared figure of one report: the scalars, then one per replication slot."""
    scalars = [Figure(name, label, unit, None, get(doc)) for name, label, unit, get in _SCALARS]
    return scalars + _slots(doc)


# -- the figures a trend follows besides :func:`figures` ---------------------------------------


def wal_percentiles(doc: Document) -> list[Figure]:
    """The WAL rate's p50 and p95 over the sampling window, as the capacity plan's chart."""
    return [
        Figure(
            f"wal_{p}_bytes_per_s",
            f"WAL rate {p}",
            "bytes/s",
            None,
            _estimate(doc, "wal", "current_bytes_per_s", p),
        )
        for p in ("p50", "p95")
    ]


def table_sizes(doc: Document) -> list[Figure]:
    """Each table's size (heap, TOAST, indexes), largest first; partitioned parents hold no
    data of their own and are left out."""
    rows = [
        Figure("table_total_bytes", "Table size", "bytes", t["name"], _number(t.get("total_bytes")))
        for t in _tables(doc)
        if t.get("kind") != "partitioned" and isinstance(t.get("name"), str)
    ]
    return sorted(rows, key=lambda f: (-(f.value or 0.0), f.subject or ""))


SEVERITIES = ("critical", "high", "medium", "low", "info")


def finding_counts(doc: Document) -> list[Figure]:
    """Unwaived findings per severity (the report's ``counts``)."""
    counts = doc.get("counts")
    counts = counts if isinstance(counts, Mapping) else {}
    return [
        Figure("findings", "Findings", "count", s, _number(counts.get(s, 0))) for s in SEVERITIES
    ]


def slot_limits(doc: Document) -> dict[str, float]:
    """The limits a stalled slot runs into, in bytes, as the runway estimate read them:
    ``max_slot_wal_keep_size`` (when set) and ``disk`` (free disk, when known)."""
    limits = _path(doc, "estimates", "runway", "limits")
    out: dict[str, float] = {}
    for name in ("max_slot_wal_keep_size", "disk"):
        node = limits.get(name) if isinstance(limits, Mapping) else None
        if isinstance(node, Mapping) and node.get("status") in (None, "ok"):
            value = _number(node.get("limit_bytes"))
            if value is not None:
                out[name] = value
    return out
