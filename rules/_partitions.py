"""Partitions grouped under their parent: a partitioned table yields one finding, not one per leaf.

A partitioned parent has no storage: its changes are decoded from its leaf partitions, and the
replica identity that counts is each leaf's own (``ALTER TABLE parent REPLICA IDENTITY`` does not
reach existing or new partitions). Rules judge the leaves and report them under the parent.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from audit.facts import Facts, Table, TableKind


def leaves_by_subject(tables: Iterable[Table]) -> dict[str, list[Table]]:
    """Tables with storage, keyed by the subject they are reported under (parent or themselves)."""
    groups: dict[str, list[Table]] = {}
    for table in tables:
        if table.kind is TableKind.PARTITIONED:
            continue
        groups.setdefault(table.parent or table.qualified_name, []).append(table)
    return groups


# id(facts) -> (a weak reference to those facts, their grouping); an entry goes with its facts
_SUBJECTS: dict[int, tuple[weakref.ref[Facts], Mapping[str, tuple[Table, ...]]]] = {}


def _forget(key: int, ref: weakref.ref[Facts]) -> None:
    entry = _SUBJECTS.get(key)
    if entry is not None and entry[0] is ref:
        del _SUBJECTS[key]


def leaves_of(facts: Facts) -> Mapping[str, tuple[Table, ...]]:
    """:func:`leaves_by_subject` of every table of ``facts``, read-only, worked out once per
    Facts object and shared by the table rules (each would otherwise group all the tables again).

    Facts are frozen, so the grouping cannot go stale; another Facts object (a scoped copy, the
    next audit) gets its own, and an entry is dropped when its Facts object is."""
    key = id(facts)
    entry = _SUBJECTS.get(key)
    if entry is not None and entry[0]() is facts:
        return entry[1]
    groups = MappingProxyType(
        {subject: tuple(group) for subject, group in leaves_by_subject(facts.tables or []).items()}
    )
    ref = weakref.ref(facts, lambda dead: _forget(key, dead))
    _SUBJECTS[key] = (ref, groups)
    return groups


def partition_count(tables: Iterable[Table], parent: str) -> int:
    return sum(1 for t in tables if t.parent == parent and t.kind is not TableKind.PARTITIONED)
