"""One WAL position type: read from the facts as PostgreSQL writes it, ordered by position."""

from __future__ import annotations

import json

import pytest
from factories import facts, slot

from audit.facts import dump_facts, parse_facts
from audit.facts.io import FactsFileError
from audit.facts.lsn import Lsn, format_lsn, parse_lsn


def test_position_is_the_byte_offset_of_both_hex_halves() -> None:
    assert Lsn("16/B374D848").position == (0x16 << 32) + 0xB374D848
    assert parse_lsn("16/B374D848") == Lsn("16/B374D848").position


def test_text_is_what_postgresql_prints() -> None:
    assert Lsn("16/b374d848") == "16/B374D848"
    assert format_lsn((0x16 << 32) + 0xB374D848) == Lsn("16/B374D848")
    assert str(format_lsn(0)) == "0/0"


def test_order_is_by_position_not_by_text() -> None:
    assert Lsn("9/0") < Lsn("10/0")
    assert max(Lsn("9/FFFFFFFF"), Lsn("10/0"), Lsn("A/1")) == Lsn("10/0")


@pytest.mark.parametrize(
    "text", ["", "16", "16/", "/1", "16/B374D848/0", "16/XYZ", " 0/1", "0/1\n", "1/+1"]
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a WAL position"):
        Lsn(text)


def test_a_facts_file_keeps_the_text_and_refuses_a_bad_position() -> None:
    original = facts(slots=[slot(restart_lsn="1/5000000", confirmed_flush_lsn="1/5000100")])
    text = dump_facts(original)
    assert json.loads(text)["slots"][0]["restart_lsn"] == "1/5000000"
    read = parse_facts(text)
    assert read == original
    assert read.slots is not None and isinstance(read.slots[0].restart_lsn, Lsn)

    raw = json.loads(text)
    raw["slots"][0]["restart_lsn"] = "1/50000zz"
    with pytest.raises(FactsFileError, match=r"slots\.0\.restart_lsn"):
        parse_facts(json.dumps(raw), "facts.json")
