"""WAL positions: one type, :class:`Lsn`, and one parser, :func:`parse_lsn`.

PostgreSQL writes a position (``pg_lsn``) as two hexadecimal halves, ``'16/B374D848'``; the
facts keep that text, and every field that holds a position is an :class:`Lsn`, checked when
the facts are read. Arithmetic and order go through :attr:`Lsn.position`, the byte offset.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

LSN_PATTERN = r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$"
_LSN = re.compile(LSN_PATTERN)


def parse_lsn(text: str) -> int:
    """``'16/B374D848'`` -> byte position; ValueError for anything that is not a WAL position."""
    if not _LSN.fullmatch(text):
        raise ValueError(f"not a WAL position (like '16/B374D848'): {text!r}")
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def format_lsn(position: int) -> Lsn:
    """Byte position -> ``Lsn('16/B374D848')``."""
    if not 0 <= position < 1 << 64:
        raise ValueError(f"not a WAL position: {position}")
    return Lsn(f"{position >> 32:X}/{position & 0xFFFFFFFF:X}")


class Lsn(str):
    """A WAL position as PostgreSQL writes it (upper-case hex); ``position`` is its byte offset.

    Equal positions are equal texts; ``<`` and friends compare positions, never the text.
    """

    position: int

    def __new__(cls, text: str) -> Lsn:
        position = parse_lsn(text)
        lsn = super().__new__(cls, f"{position >> 32:X}/{position & 0xFFFFFFFF:X}")
        lsn.position = position
        return lsn

    def __repr__(self) -> str:
        return f"Lsn({str(self)!r})"

    def __lt__(self, other: object) -> bool:
        return self.position < other.position if isinstance(other, Lsn) else NotImplemented

    def __le__(self, other: object) -> bool:
        return self.position <= other.position if isinstance(other, Lsn) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self.position > other.position if isinstance(other, Lsn) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return self.position >= other.position if isinstance(other, Lsn) else NotImplemented

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Read from the text form (checked against :data:`LSN_PATTERN`), written back as text."""
        return core_schema.no_info_after_validator_function(
            cls,
            core_schema.str_schema(pattern=LSN_PATTERN),
            serialization=core_schema.to_string_ser_schema(),
        )
