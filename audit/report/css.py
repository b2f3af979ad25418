"""Substituting ``:root`` custom properties into a stylesheet before WeasyPrint sees it.

The stylesheets use custom properties (``--critical``, ``--accent``) so that a brand.css can
restyle a report by redefining a few of them. WeasyPrint computes every custom property on
every element and re-parses each ``var()`` colour per use, which made layout about 30 %
slower; browsers do not care, so only the PDF path inlines them.

Only properties declared in ``:root`` blocks are inlined (the last declaration wins, as in the
cascade); any other ``var()`` is left for WeasyPrint to resolve.
"""

from __future__ import annotations

import re

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_ROOT_BLOCK = re.compile(r":root\s*\{([^{}]*)\}")
_DECLARATION = re.compile(r"(--[A-Za-z0-9_-]+)\s*:\s*([^;]+?)\s*(?:;|$)")
_VAR = re.compile(r"var\(\s*(--[A-Za-z0-9_-]+)\s*(?:,[^()]*)?\)")
_MAX_DEPTH = 8


def inline_custom_properties(css: str) -> str:
    """``css`` with ``var(--x)`` replaced by the ``:root`` value of ``--x``, where there is one."""
    css = _COMMENT.sub("", css)
    values: dict[str, str] = {}
    for block in _ROOT_BLOCK.findall(css):
        values.update(_DECLARATION.findall(block))

    def substitute(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    for _ in range(_MAX_DEPTH):
        values = {name: _VAR.sub(substitute, value) for name, value in values.items()}

    def strip_root(block: re.Match[str]) -> str:
        body = _DECLARATION.sub(
            lambda d: "" if "var(" not in values.get(d.group(1), "var(") else d.group(0),
            block.group(1),
        )
        return f":root {{{body}}}" if body.strip() else ""

    css = _ROOT_BLOCK.sub(strip_root, css)
    return _VAR.sub(substitute, css)
