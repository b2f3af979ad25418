"""Partitions grouped under their parent: a partitioned table yields one finding, not one per leaf.

A partitioned parent has no storage: its changes are decoded from its leaf partitions, and the
replica identity that counts is each leaf's own (``ALTER TABLE parent REPLICA IDENTITY`` does not
reach existing or new partitions). Rules judge the leaves and report them under the parent.
"""

from __future__ import annotations

from collections.abc import Iterable

from audit.facts import Table, TableKind


def leaves_by_subject(tables: Iterable[Table]) -> dict[str, list[Table]]:
    """Tables with storage, keyed by the subject they are reported under (parent or themselves)."""
    groups: dict[str, list[Table]] = {}
    for table in tables:
        if table.kind is TableKind.PARTITIONED:
            continue
        groups.setdefault(table.parent or table.qualified_name, []).append(table)
    return groups


def partition_count(tables: Iterable[Table], parent: str) -> int:
    return sum(1 for t in tables if t.parent == parent and t.kind is not TableKind.PARTITIONED)
