"""Values staged for the next restart or reboot, as the headroom rules read them."""

from __future__ import annotations

from audit.facts import Facts
from audit.platform.staged import Staged
from audit.remedy.settings import staged_value


def staged_int(facts: Facts, name: str) -> tuple[Staged | None, int | None]:
    """The value of ``name`` staged in a configuration file or parameter group, as an int."""
    staged = staged_value(facts, name)
    text = staged.value.strip() if staged else ""
    if staged is None or not text.lstrip("-").isdigit():
        return None, None
    return staged, int(text)
