"""The max_slot_wal_keep_size the capacity estimate recommends, in both forms a fix needs."""

from __future__ import annotations

from audit.engine import RuleContext

PLACEHOLDER = ("<size below the free WAL disk space>", "<MB below the free storage>")


def recommended_keep_size(ctx: RuleContext) -> tuple[str, str]:
    """(PostgreSQL form, parameter-group form in MB) of the recommended limit.

    Read from ``estimates.recommendations.max_slot_wal_keep_size``; clearly marked
    placeholders when the estimate is unavailable.
    """
    found = ctx.estimates.get("recommendations", {}).get("max_slot_wal_keep_size", {})
    size = found.get("bytes") if found.get("status") == "ok" else None
    if isinstance(size, int) and size > 0:
        return str(found["value"]), str(size // 1024**2)
    return PLACEHOLDER
