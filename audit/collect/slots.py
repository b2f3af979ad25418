"""The slots family: pg_replication_slots as this version has it, WAL retained, xmin ages."""

from __future__ import annotations

from audit.collect.session import Session
from audit.facts import Slot
from audit.facts.lsn import Lsn
from audit.facts.models import SlotStats

_DERIVED = {"retained_bytes", "xmin_age", "catalog_xmin_age"}
_CATALOG_COLUMNS = set(Slot.model_fields) - _DERIVED

WAL_LSN_GRANT = "GRANT EXECUTE ON FUNCTION pg_current_wal_lsn() TO the auditing role"


def read_current_lsn(session: Session) -> Lsn | None:
    """The current WAL position; None on a standby that has received nothing yet."""
    text: str | None = session.row("wal_lsn")["lsn"]
    return Lsn(text) if text is not None else None


def read_slots(session: Session, current_lsn: Lsn | None) -> list[Slot]:
    slots = []
    for row in session.rows("slots", {"current_lsn": current_lsn}):
        columns = {k: v for k, v in row.pop("slot").items() if k in _CATALOG_COLUMNS}
        for key in ("xmin", "catalog_xmin"):
            if columns.get(key) is not None:
                columns[key] = str(columns[key])
        slots.append(Slot.model_validate(columns | row))
    return slots


def read_slot_stats(session: Session) -> list[SlotStats]:
    """pg_stat_replication_slots (14+); keys this version lacks stay None."""
    stats = []
    for row in session.rows("slot_stats"):
        known = {k: v for k, v in row["stats"].items() if k in SlotStats.model_fields}
        stats.append(SlotStats.model_validate(known))
    return stats
