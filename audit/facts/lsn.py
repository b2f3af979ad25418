"""WAL positions: the text form PostgreSQL prints (``'16/B374D848'``) and byte offsets."""

from __future__ import annotations


def parse_lsn(text: str) -> int:
    """``'16/B374D848'`` -> byte position."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def format_lsn(position: int) -> str:
    """Byte position -> ``'16/B374D848'``."""
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"
