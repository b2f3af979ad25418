"""The max_slot_wal_keep_size the capacity estimate recommends, in both forms a fix needs."""

from __future__ import annotations

from audit.engine import RuleContext

PLACEHOLDER = ("<size below the free WAL disk space>", "<MB below the free storage>")


def recommended_keep_size(ctx: RuleContext) -> tuple[str, str]:
    """(PostgreSQL form, parameter-group form in MB) of the recommended limit.

    Read from ``estimates.recommendations``; clearly marked placeholders when the estimate is
    unavailable.
    """
    found = (
        ctx.estimates.recommendations.setting("max_slot_wal_keep_size") if ctx.estimates else None
    )
    if found is None or not found.ok or found.recommended is None:
        return PLACEHOLDER
    return found.recommended, found.parameter_group_value or found.recommended
