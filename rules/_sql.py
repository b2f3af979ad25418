"""Quoting for the SQL in fixes: literals, and identifiers the facts hold unquoted."""

from __future__ import annotations

import re

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
# Reserved key words that cannot be used as a bare role name (PostgreSQL, Appendix C).
_RESERVED = frozenset(
    """
    all analyse analyze and any array as asc asymmetric both case cast check collate column
    constraint create current_catalog current_date current_role current_time current_timestamp
    current_user default deferrable desc distinct do else end except false fetch for foreign from
    grant group having in initially intersect into lateral leading limit localtime localtimestamp
    not null offset on only or order placing primary references returning select session_user
    some symmetric system_user table then to trailing true union unique user using variadic when
    where window with
    """.split()  # noqa: SIM905
)


def sql_literal(text: str) -> str:
    """``it's`` -> ``'it''s'`` (standard_conforming_strings, on by default since 9.1)."""
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """Quote an identifier the way ``quote_ident()`` does, for names the facts hold unquoted."""
    if _PLAIN.match(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'
