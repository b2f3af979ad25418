"""Large documents kept lean: the collector paused while a batch runs, shared field sets."""

from __future__ import annotations

import gc
import json

import pytest
from pydantic import BaseModel, ValidationError

from audit.compact import share_field_sets
from audit.facts import ReplicaIdentity
from audit.facts.io import FactsFileError, dump_facts, parse_facts
from audit.gc_pause import paused_gc
from audit.report.inventory import Inventory, build_inventory
from tests.factories import facts, table


def test_paused_gc_restores_the_collector_as_it_was() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled(), "an inner pause does not end the outer one"
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()


def _document(n: int) -> str:
    tables = [table(f"public.t{i}") for i in range(n)]
    return dump_facts(facts(tables=tables))


def test_decoded_tables_share_one_field_set_and_stay_equal() -> None:
    text = _document(3)
    decoded = parse_facts(text)
    tables = decoded.tables or []
    assert len({id(t.model_fields_set) for t in tables}) == 1
    assert decoded == facts(tables=[table(f"public.t{i}") for i in range(3)])
    assert dump_facts(decoded) == text


def test_a_copy_with_an_update_leaves_the_shared_set_alone() -> None:
    tables = parse_facts(_document(2)).tables or []
    shared = set(tables[1].model_fields_set)
    copy = tables[0].model_copy(update={"replica_identity": ReplicaIdentity.FULL})
    assert copy.replica_identity is ReplicaIdentity.FULL
    assert tables[1].model_fields_set == shared
    assert tables[0].replica_identity is ReplicaIdentity.DEFAULT


def test_an_invalid_table_row_is_named_as_before() -> None:
    document = json.loads(_document(3))
    document["tables"][2]["replica_identity"] = "sometimes"
    document["tables"][0]["heap_bytes"] = "lots"
    with pytest.raises(FactsFileError) as caught:
        parse_facts(json.dumps(document), "f.json")
    message = str(caught.value)
    assert message.startswith("f.json does not match the facts schema: tables.0.heap_bytes: ")
    assert message.endswith("(2 error(s))")


def test_inventory_rows_are_slotted_and_read_back_strictly() -> None:
    inventory = build_inventory(facts(tables=[table(f"public.t{i}") for i in range(3)]))
    rows = inventory.tables or []
    assert len(rows) == 3
    assert not any(hasattr(t, "__dict__") for t in rows), "no per-row dict or field set"
    document = json.loads(inventory.model_dump_json())
    assert Inventory.model_validate(document) == inventory
    document["tables"][1]["colour"] = "blue"
    with pytest.raises(ValidationError, match=r"tables\.1\.colour"):
        Inventory.model_validate(document)


def test_a_model_that_can_change_is_refused() -> None:
    class Loose(BaseModel):
        value: int = 0

    with pytest.raises(TypeError, match="not frozen"):
        share_field_sets([Loose(value=1), Loose(value=2)])
