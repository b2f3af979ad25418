"""Labels: free-form KEY=VALUE pairs a run carries into its facts, history row and metrics.

One rule for every place a label comes from (``--label``, a fleet's ``labels``): the key is
a Prometheus-style name (letters, digits and ``_``, not first a digit), so it can label a
metric as it is; the value is any non-empty text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def label_problem(key: str, value: str) -> str | None:
    """Why ``key=value`` is not a label, or None."""
    if not KEY.fullmatch(key):
        return f"label key {key!r}: letters, digits and _ only, not first a digit"
    if not value:
        return f"label {key!r} has an empty value"
    return None


def parse_labels(items: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings as a mapping; raises ValueError naming the first bad one."""
    labels: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{item!r}: a label is KEY=VALUE")
        if (problem := label_problem(key, value)) is not None:
            raise ValueError(problem)
        if key in labels:
            raise ValueError(f"label {key!r} given twice")
        labels[key] = value
    return labels


def check_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """``labels`` unchanged when every pair is a label; raises ValueError otherwise."""
    for key, value in labels.items():
        if (problem := label_problem(key, value)) is not None:
            raise ValueError(problem)
    return dict(labels)
