"""The jinja2 environment that renders reports: packaged templates, optional overrides, filters.

Templates live in the ``report_templates`` package and are read through
``importlib.resources``, so they load the same from a checkout, an editable install or a
wheel. A ``template_dir`` given by the user is searched first: a consultancy can replace
``brand.css`` or ``_brand.html.j2`` (or any template) without forking the tool.

Every template is autoescaped except Markdown ones (``*.md.j2``), which escape
database-provided strings with the ``md`` filter instead. ``StrictUndefined`` turns a typo in
a template into an error in the tests rather than a blank in a customer's report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from audit.history.render import fmt_change, fmt_figure
from audit.units import fmt_bytes, fmt_count, fmt_rate, fmt_seconds, fmt_share

TEMPLATE_PACKAGE = "report_templates"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")
_INLINE_CODE = re.compile(r"`([^`]+)`")
_FENCE = re.compile(r"(^```.*?^```[ \t]*$)", re.S | re.M)
_URL = re.compile(r"^https?://[^\s\"'<>]+$")


def _load_packaged(name: str) -> tuple[str, str | None, Callable[[], bool]] | None:
    resource = files(TEMPLATE_PACKAGE)
    for part in name.split("/"):
        if part in ("", ".", ".."):
            return None
        resource = resource.joinpath(part)
    if not resource.is_file():
        return None
    return resource.read_text(encoding="utf-8"), None, lambda: True


def _autoescape(name: str | None) -> bool:
    return not (name or "").endswith((".md", ".md.j2"))


# json.dumps with options makes an encoder at every call: the report's 50,000 evidence values
# are written by one, made once (the same text as json.dumps(value, ensure_ascii=False,
# default=str))
_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


def json_value(value: Any) -> str:
    """A value as compact JSON text: strings keep their quotes, so ``"10"`` differs from ``10``."""
    return _JSON.encode(value)


def brief_json(value: Any, limit: int = 240) -> str:
    """``value`` as JSON, summarised past ``limit`` characters: the first items of a long
    list or mapping and how many there are (the full value is in report.json)."""
    text = json_value(value)
    if len(text) <= limit:
        return text
    if isinstance(value, list | dict):
        items = (
            [json_value(v) for v in value]
            if isinstance(value, list)
            else [f"{json_value(str(k))}: {json_value(v)}" for k, v in value.items()]
        )
        kept: list[str] = []
        used = 0
        for item in items:
            if used + len(item) + 2 > limit - 24:
                break
            kept.append(item)
            used += len(item) + 2
        noun = "items" if isinstance(value, list) else "keys"
        opening, closing = ("[", "]") if isinstance(value, list) else ("{", "}")
        shown = ", ".join([*kept, "…"])
        return f"{opening}{shown}{closing} ({len(items)} {noun})"
    return text[: limit - 1] + "…"


def first_line(text: str, limit: int = 90) -> str:
    """The first statement of a fix (comments skipped), cut to ``limit`` characters."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    code = [line for line in lines if not line.startswith(("--", "#"))]
    chosen = code[0] if code else (lines[0] if lines else "")
    if len(chosen) > limit:
        return chosen[: limit - 1] + "…"
    return chosen + (" …" if len(lines) > 1 else "")


def scalar(value: Any) -> str:
    """A value for prose: strings as they are, everything else as JSON."""
    return value if isinstance(value, str) else json_value(value)


def md_escape(value: Any) -> str:
    """Make a database-provided string inert in Markdown (and on one table row)."""
    text = _NEWLINES.sub(" ", scalar(value)).strip()
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if text.startswith(("#", "+", "-", "=")):
        text = "\\" + text
    return text


def prose(value: str) -> Markup:
    """Rule documentation (a Markdown subset) as HTML: paragraphs, bullet lists, inline code
    and fenced code blocks.

    The text is escaped first; only the markup this function adds is trusted.
    """
    blocks: list[str] = []
    for part in _FENCE.split(value.strip()):
        if part.startswith("```"):
            code = part.split("\n", 1)[1] if "\n" in part else ""
            blocks.append(
                f"<pre><code>{escape(code.rstrip().removesuffix('```').rstrip())}</code></pre>"
            )
        else:
            blocks.extend(_prose_blocks(part))
    return Markup("".join(blocks))


def _prose_blocks(text: str) -> list[str]:
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith(("- ", "* ")) for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{_inline(' '.join(lines))}</p>")
    return blocks


def _inline(text: str) -> str:
    return _INLINE_CODE.sub(r"<code>\1</code>", str(escape(text)))


_IDENT_BREAK = re.compile(r"([._])(?=[^._])")


def ident(value: Any) -> Markup:
    """A database identifier with a line-break opportunity after each ``.`` and ``_``.

    Long names (``shop.standby_decommissioned``) then wrap at their own separators instead of
    mid-word; ``<wbr>`` adds no character to what a reader copies from the HTML.
    """
    return Markup(_IDENT_BREAK.sub(r"\1<wbr>", str(escape(scalar(value)))))


_LONG_WORD = re.compile(r"[^\s<>&]{24,}")


def breakable(value: Any) -> Markup:
    """Prose whose long words (identifiers in a message) may wrap after ``.`` and ``_``."""
    text = str(escape(scalar(value)))
    return Markup(_LONG_WORD.sub(lambda m: _IDENT_BREAK.sub(r"\1<wbr>", m.group()), text))


_FIGURE = re.compile(
    r"[-+]?\d[\d.,]*(?: |\u00a0)(?:[KMGT]iB|B|%|s|ms|min|h|d|events)(?:/s)?(?![\w/])"
)


def figures(value: Any) -> Markup:
    """Text whose figures (a number and its unit: ``886 KiB/s``) never wrap inside."""
    text = str(escape(scalar(value)))
    return Markup(_FIGURE.sub(lambda m: f'<span class="nw">{m.group()}</span>', text))


def is_url(value: Any) -> bool:
    """Only plain http(s) URLs become links; anything else (``javascript:``) stays text."""
    return isinstance(value, str) and bool(_URL.match(value))


def is_table(value: Any) -> bool:
    """A non-empty list of mappings: shown as a table with one column per key."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of ``rows``, in order of first appearance."""
    return list(dict.fromkeys(key for row in rows for key in row))


def when(value: datetime) -> str:
    """A timestamp for people: minutes resolution, UTC spelled out."""
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%d %H:%M")
    if value.utcoffset() == UTC.utcoffset(None):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M UTC%z")


def build_environment(template_dir: Path | None = None) -> jinja2.Environment:
    """A fresh environment; ``template_dir`` files take precedence over the packaged ones."""
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(template_dir))
    loaders.append(jinja2.FunctionLoader(_load_packaged))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(json_value=json_value, scalar=scalar, md=md_escape, prose=prose, when=when)
    env.filters.update(
        brief_json=brief_json,
        bytes=fmt_bytes,
        rate=fmt_rate,
        seconds=fmt_seconds,
        share=fmt_share,
        count=fmt_count,
    )
    env.filters.update(figure=fmt_figure, figure_change=fmt_change)
    env.filters["columns"] = columns
    env.filters["first_line"] = first_line
    env.filters["ident"] = ident
    env.filters["breakable"] = breakable
    env.filters["figures"] = figures
    env.tests.update(url=is_url, table=is_table)
    return env


@lru_cache(maxsize=1)
def _packaged_environment() -> jinja2.Environment:
    return build_environment(None)


def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The shared packaged environment, or a new one when an override directory is given."""
    if template_dir is None:
        return _packaged_environment()
    return build_environment(template_dir)
