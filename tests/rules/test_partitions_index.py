"""The per-Facts grouping of tables under their subject that the table rules share."""

from __future__ import annotations

import gc

import pytest

from audit.facts import Facts, TableKind
from rules import _partitions
from rules._partitions import leaves_by_subject, leaves_of
from tests.factories import facts, table


def _partitioned() -> Facts:
    return facts(
        tables=[
            table("public.plain"),
            table("public.events", kind=TableKind.PARTITIONED, heap_bytes=0),
            table("public.events_2025", parent="public.events"),
            table("public.other"),
            table("public.events_2026", parent="public.events"),
        ]
    )


def test_the_shared_grouping_is_the_uncached_one() -> None:
    the_facts = _partitioned()
    shared = leaves_of(the_facts)
    assert {s: list(g) for s, g in shared.items()} == leaves_by_subject(the_facts.tables or [])
    assert list(shared) == ["public.plain", "public.events", "public.other"]  # first seen first
    assert leaves_of(the_facts) is shared  # worked out once for these facts
    with pytest.raises(TypeError):
        shared["public.new"] = ()  # type: ignore[index]  # read-only: rules share it


def test_another_facts_object_gets_its_own_grouping() -> None:
    the_facts = _partitioned()
    before = leaves_of(the_facts)
    scoped = the_facts.model_copy(update={"tables": [table("public.other")]})
    assert list(leaves_of(scoped)) == ["public.other"]
    assert leaves_of(the_facts) is before
    assert list(leaves_of(facts(tables=None))) == []


def test_the_grouping_goes_with_its_facts() -> None:
    the_facts = _partitioned()
    leaves_of(the_facts)
    key = id(the_facts)
    assert key in _partitions._SUBJECTS
    del the_facts
    gc.collect()
    assert key not in _partitions._SUBJECTS
