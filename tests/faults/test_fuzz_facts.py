"""Facts files from anywhere: any mutation of a real one gives one clean error or a report.

Hypothesis changes one value (anywhere in the document, to any JSON value, NaN and huge
numbers included), drops a key or truncates the text; the result must either be refused
with a :class:`FactsFileError` (the CLI's one line, exit 3) or analyze and render to JSON and
Markdown without any other exception.
"""

from __future__ import annotations

import json
from typing import Any

from faults_support import SAMPLE_FACTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.config import AuditConfig
from audit.engine import get_profile
from audit.facts.io import FactsFileError, parse_facts
from audit.pipeline import analyze
from audit.report.render import render_json, render_markdown

DEMO_TEXT = SAMPLE_FACTS.read_text()
DEMO: dict[str, Any] = json.loads(DEMO_TEXT)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["", "0/0", "FFFFFFFF/FFFFFFFF", "2025-13-40T25:61:00Z", "-1"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in the document (list items: the first two only)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:2]):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(DEMO)


def _mutated(path: tuple[Any, ...], value: Any, delete: bool) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DEMO_TEXT)
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


def _analyze_or_refuse(text: str) -> None:
    try:
        facts = parse_facts(text, "facts.json")
    except FactsFileError as exc:
        assert "\n" not in str(exc)
        return
    report = analyze(
        facts, profile=get_profile("debezium"), config=AuditConfig(), facts_sha256="0" * 64
    )
    json.loads(render_json(report))
    assert render_markdown(report)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=json_values, delete=st.booleans())
def test_a_mutated_facts_file_is_refused_or_analyzed(
    path: tuple[Any, ...], value: Any, delete: bool
) -> None:
    _analyze_or_refuse(json.dumps(_mutated(path, value, delete)))


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(DEMO_TEXT)), junk=st.text(max_size=5))
def test_a_truncated_or_spliced_facts_file_is_refused_or_analyzed(cut: int, junk: str) -> None:
    _analyze_or_refuse(DEMO_TEXT[:cut] + junk)
