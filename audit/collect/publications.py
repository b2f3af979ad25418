"""The publications family: what each publication publishes, to the column and row filter."""

from __future__ import annotations

from audit.collect.session import Session
from audit.facts.models import Publication

PUBLICATION_SCHEMAS_MIN_VERSION = 150000


def read_publications(session: Session, version_num: int | None) -> list[Publication]:
    rows = session.rows("publications")
    schemas: dict[str, list[str]] | None = None
    if version_num is not None and version_num >= PUBLICATION_SCHEMAS_MIN_VERSION:
        schemas = {r["publication"]: r["schemas"] for r in session.rows("publication_schemas")}
    for row in rows:
        row["schemas"] = None if schemas is None else schemas.get(row["name"], [])
    return [Publication.model_validate(row) for row in rows]
