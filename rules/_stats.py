"""Whether the activity counters (``n_tup_*``, ``pg_stat_database``) mean anything."""

from __future__ import annotations

from audit.facts import Facts
from rules._units import is_on


def counters_off(facts: Facts) -> bool:
    """``track_counts = off``: every counter stays at zero, so zero proves nothing."""
    setting = facts.setting("track_counts")
    return setting is not None and not is_on(setting)


COUNTERS_OFF = "track_counts is off: the UPDATE and DELETE counters stay at zero (CDC015)"
