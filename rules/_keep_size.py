"""Changing max_slot_wal_keep_size: always to the one value the capacity plan recommends."""

from __future__ import annotations

from audit.engine import RuleContext
from audit.facts import Facts
from audit.remedy import Fix, Step
from audit.remedy.settings import set_recommended, set_setting
from rules._estimates import recommended

NAME = "max_slot_wal_keep_size"
PLACEHOLDER = ("<size below the free WAL disk space>", "<MB below the free storage>")


def keep_size_steps(facts: Facts, ctx: RuleContext, *, above: float | None = None) -> list[Step]:
    """Set the limit to the recommended value (``estimates.recommendations``), or to a marked
    placeholder when none is recommended or it is not above ``above`` bytes."""
    found = recommended(facts, ctx, NAME)
    if found is not None and (
        above is None or (found.recommended_bytes is not None and found.recommended_bytes > above)
    ):
        return list(set_recommended(facts, found).steps)
    value, group_value = PLACEHOLDER
    return list(set_setting(facts, NAME, value, restart=False, group_value=group_value).steps)


def keep_size_fix(facts: Facts, ctx: RuleContext, *, above: float | None = None) -> Fix:
    return Fix(steps=tuple(keep_size_steps(facts, ctx, above=above)))
