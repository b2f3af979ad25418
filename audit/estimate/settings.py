"""Size settings in bytes, as the estimates need them (``pg_settings`` value x unit)."""

from __future__ import annotations

import re

from audit.facts import Setting

_UNITS = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_UNIT = re.compile(r"^(\d*)\s*([A-Za-z]+)$")


def setting_bytes(setting: Setting) -> int | None:
    """The value in bytes; negative sentinels (-1) unchanged; None when it is not a size."""
    try:
        raw = int(float(setting.value))
    except ValueError:
        return None
    if raw < 0:
        return raw
    match = _UNIT.match(setting.unit or "")
    if match is None or match.group(2) not in _UNITS:
        return None
    return raw * int(match.group(1) or 1) * _UNITS[match.group(2)]
