"""The collector's SQL, one file per fact family in ``audit/collect/sql``, shipped inside the package."""

from __future__ import annotations

import functools
from importlib.resources import files


@functools.cache
def load_sql(name: str) -> str:
    """The text of ``audit/collect/sql/<name>.sql``."""
    return (files("audit.collect") / "sql" / f"{name}.sql").read_text(encoding="utf-8")
