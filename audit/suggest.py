"""Usage errors in configuration files: the closest valid name to a mistyped one ("did you
mean"), and one line for a validation error at a place in the file."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pydantic_core import ErrorDetails


def closest(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the candidate fewest edits away, or an empty string when
    none is close (at most a third of the word, and at least 2 edits, may differ)."""
    limit = max(2, len(word) // 3)
    scored = [
        (edits, -difflib.SequenceMatcher(None, word.lower(), c.lower()).ratio(), c)
        for c in candidates
        if (edits := _edits(word.lower(), c.lower())) <= limit
    ]
    return f" (did you mean {min(scored)[2]}?)" if scored else ""


def field_error(error: ErrorDetails, place: str, key: str, fields: Iterable[str]) -> str:
    """One line for a validation error of ``key`` in the table ``place``: an unknown key (with
    the closest of ``fields``), a missing one, or the validator's message and the value."""
    if error["type"] == "extra_forbidden":
        return f"{place} unknown key {key}{closest(key, fields)}".lstrip()
    if error["type"] == "missing":
        return f"{place} {key}: missing".lstrip()
    return f"{place} {key}: {error['msg']}, got {error.get('input')!r}".lstrip()


def _edits(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]
