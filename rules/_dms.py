"""How AWS DMS sees a PostgreSQL column: LOB or not, migrated or not (its PostgreSQL source docs).

AWS DMS maps ``text``, ``json``, ``jsonb``, arrays, composite types and ``hstore`` to NCLOB,
``xml``, ``tsvector``, ``tsquery``, ``path`` and ``polygon`` to CLOB and ``bytea`` to BLOB: those
are its large objects, which follow the task's LOB mode. Its PostgreSQL-to-PostgreSQL table lists
the types that do not migrate at all. Types are read as ``format_type()`` prints them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audit.facts import Table

LOB_TYPES = frozenset(
    {"text", "bytea", "json", "jsonb", "xml", "tsvector", "tsquery", "path", "polygon", "hstore"}
)
LOB_KINDS = frozenset({"array", "composite", "hstore"})
# "Doesn't migrate" in the DMS table of PostgreSQL source types (homogeneous migrations)
UNSUPPORTED_TYPES = frozenset(
    {"inet", "macaddr", "tsvector", "tsquery", "line", "lseg", "box", "path", "circle"}
)
UNSUPPORTED_KINDS = {"enum": "enum", "composite": "composite", "range": "range"}
# Character types whose values cannot reach TOAST's out-of-line threshold (about 2 kB): at most
# 4 bytes a character, so n <= 500 stays inline (and anything numeric or network-sized does).
_BOUNDED = re.compile(r"^(character varying|character|bit varying|bit)\((\d+)\)$")
_INLINE_TYPES = frozenset({"numeric", "inet", "cidr", "macaddr", "macaddr8", "money"})
INLINE_CHAR_LIMIT = 500


def base_name(type_name: str) -> str:
    """``public.hstore`` -> ``hstore``; ``"My Type"`` -> ``My Type``; arrays keep their ``[]``."""
    name = type_name.rsplit(".", 1)[-1] if not type_name.endswith('"') else type_name
    return name.strip('"')


def is_lob(type_name: str, kinds: frozenset[str] = frozenset()) -> bool:
    """Whether DMS treats a column of this type as a LOB."""
    name = base_name(type_name)
    return name.endswith("[]") or name in LOB_TYPES or bool(kinds & LOB_KINDS)


@dataclass(frozen=True)
class DmsColumns:
    """One table's columns as DMS sees them."""

    lob: dict[str, str]  # name -> type
    kinds: dict[str, frozenset[str]]  # name -> special kinds
    toastable: dict[str, str]  # name -> type
    known: bool  # the collector read the column types


def dms_columns(table: Table) -> DmsColumns:
    kinds = {c.name: frozenset(c.kinds) for c in table.special_columns or []}
    types = {c.name: c.type for c in table.special_columns or []}
    toastable = {c.name: c.type for c in table.toastable_columns or []}
    types.update(toastable)
    lob = {n: t for n, t in types.items() if is_lob(t, kinds.get(n, frozenset()))}
    known = table.toastable_columns is not None and table.special_columns is not None
    return DmsColumns(lob=lob, kinds=kinds, toastable=toastable, known=known)


def may_be_out_of_line(type_name: str) -> bool:
    """Whether a value of this type can be large enough to be stored out of line in TOAST."""
    name = base_name(type_name)
    if name.split("(", 1)[0] in _INLINE_TYPES:
        return False
    match = _BOUNDED.match(name)
    return not (match and int(match.group(2)) <= INLINE_CHAR_LIMIT)
