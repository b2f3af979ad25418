"""Report -> JSON, HTML, PDF and Markdown text. Pure: the same report gives the same bytes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from pydantic import TypeAdapter

from audit.report import remediation, tables_csv
from audit.report.css import inline_custom_properties
from audit.report.environment import environment
from audit.report.fonts import MONO, SANS, font_faces_css, font_stack, is_packaged_font
from audit.report.inventory import InventoryTable
from audit.report.model import Report, ReportFinding
from audit.report.view import Medium, context, target_label

HTML_TEMPLATE = "report.html.j2"
MARKDOWN_TEMPLATE = "report.md.j2"
STYLESHEETS: dict[Medium, tuple[str, ...]] = {
    "html": ("report.css", "screen.css", "brand.css"),
    "pdf": ("report.css", "print.css", "brand.css"),
}

_BLANK_RUNS = re.compile(r"\n{3,}")
_CONTEXTS: ContextVar[dict[tuple[int, Medium], tuple[Report, dict[str, Any]]] | None] = ContextVar(
    "shared_contexts", default=None
)
_FINDINGS = TypeAdapter(list[ReportFinding])
_TABLE_ROWS = TypeAdapter(list[InventoryTable])


def render_json(report: Report) -> str:
    """The report document: model field order, two-space indent, one trailing newline."""
    return render_json_bytes(report).decode()


def render_json_bytes(report: Report) -> bytes:
    """:func:`render_json` encoded, made as bytes: on 50,000 tables the document is 60 MB, and
    text then bytes would hold it three times over."""
    return report.__pydantic_serializer__.to_json(report, indent=2) + b"\n"


def render_json_chunks(report: Report, rows_per_chunk: int = 2000) -> Iterator[bytes]:
    """:func:`render_json_bytes` in pieces whose concatenation is the same bytes: the document
    without its findings and table rows, split where they go, and those ``rows_per_chunk`` at
    a time.

    Written straight to a file, the 60 MB document on 50,000 tables is never held whole (nor the
    serializer's buffer of twice that). Each batch is serialized as a list, two-space indented
    like the whole document, then indented to sit at its depth: JSON strings hold no raw
    newline, so every newline is a line break of the layout."""
    inventory = report.inventory
    parts: list[tuple[bytes, int, Sequence[object], TypeAdapter[Any]]] = [
        (b'\n  "findings": []', 1, report.findings, _FINDINGS),
        (b'\n  "inventory": {\n    "tables": []', 2, inventory.tables or [], _TABLE_ROWS),
    ]
    streamed = [part for part in parts if part[2]]  # an empty list stays in the frame: "[]"
    frame = render_json_bytes(
        report.model_copy(
            update={
                "findings": [],
                "inventory": inventory.model_copy(update={"tables": []})
                if inventory.tables
                else inventory,
            }
        )
    )
    if any(frame.count(marker) != 1 for marker, *_ in streamed):  # the layout changed
        yield render_json_bytes(report)
        return
    done = 0
    for marker, depth, rows, adapter in sorted(streamed, key=lambda s: frame.index(s[0])):
        split = frame.index(marker) + len(marker) - 1  # just before the "]"
        yield frame[done:split]
        indent = b"\n" + b"  " * depth
        for start in range(0, len(rows), rows_per_chunk):
            batch = adapter.dump_json(rows[start : start + rows_per_chunk], indent=2)
            # "[\n  {...},\n  {...}\n]" -> ",\n    {...},\n    {...}" (the first without ",")
            yield (b"," if start else b"") + batch[1:-2].replace(b"\n", indent)
        yield indent
        done = split
    yield frame[done:]


def render_html(report: Report, template_dir: Path | None = None) -> str:
    """One self-contained HTML file: inline CSS, no scripts, nothing fetched."""
    return _render_page(report, "html", template_dir)


def render_markdown(report: Report, template_dir: Path | None = None) -> str:
    """A short summary to paste into a ticket."""
    template = environment(template_dir).get_template(MARKDOWN_TEMPLATE)
    text = template.render(_context(report, "html"))
    return _BLANK_RUNS.sub("\n\n", text).strip() + "\n"


def render_pdf(report: Report, template_dir: Path | None = None) -> bytes:
    """The HTML template with the print stylesheet, laid out by WeasyPrint (A4).

    Deterministic: WeasyPrint 70 writes no file identifier unless asked and takes the PDF
    dates from ``<meta name=dcterms.created>``, which the template fills from
    ``generated_at``. Embedded font subsets carry a timestamp when fontTools makes them
    (without libharfbuzz-subset): it honours ``SOURCE_DATE_EPOCH``, so that is pinned to
    ``generated_at`` while rendering unless the caller has set it. Nothing is fetched but
    ``data:`` URLs and the packaged fonts (``audit.report.fonts``), which the PDF embeds so that
    it does not depend on the host's fonts.
    """
    import weasyprint

    html = _render_page(report, "pdf", template_dir)
    data_only = weasyprint.URLFetcher(allowed_protocols=("data",))
    files_too = weasyprint.URLFetcher(allowed_protocols=("data", "file"))

    def fetcher(url: str) -> object:
        return files_too(url) if is_packaged_font(url) else data_only(url)

    with _source_date_epoch(report.generated_at):
        document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
        pdf: bytes = document.write_pdf(pdf_identifier=False)
    return pdf


def render_csv(report: Report) -> str:
    """tables.csv: the per-table matrix, every table."""
    return tables_csv.render_csv(report)


def render_remediation_sql(report: Report) -> str:
    """remediation.sql: the remediation plan; psql stops at its first line (a runbook)."""
    return remediation.render_sql(report, target_label(report))


def render_remediation_aws(report: Report) -> str | None:
    """remediation-aws.sh, or None when no step has an AWS CLI command."""
    return remediation.render_aws_script(report, target_label(report))


def _render_page(report: Report, medium: Medium, template_dir: Path | None) -> str:
    env = environment(template_dir)
    css = _stylesheet(env, medium)
    template = env.get_template(HTML_TEMPLATE)
    return template.render(_context(report, medium), stylesheet=Markup(css))


@contextmanager
def shared_contexts() -> Iterator[None]:
    """Within it, the view context of a report for a medium is made once and shared by the
    documents rendered from it (report.html and report.md read the same one), and so is the
    remediation plan (:func:`remediation.shared_plans`); outside it, each rendering makes its
    own."""
    token = _CONTEXTS.set({})
    try:
        with remediation.shared_plans():
            yield
    finally:
        _CONTEXTS.reset(token)


def _context(report: Report, medium: Medium) -> dict[str, Any]:
    shared = _CONTEXTS.get()
    if shared is None:
        return context(report, medium)
    key = (id(report), medium)  # the entry holds the report: its id is not reused meanwhile
    if key not in shared:
        shared[key] = (report, context(report, medium))
    return shared[key][1]


def _stylesheet(env: jinja2.Environment, medium: Medium) -> str:
    fonts = (
        {"font_faces": font_faces_css(), "sans": font_stack(SANS), "mono": font_stack(MONO)}
        if medium == "pdf"
        else {}
    )
    css = "\n".join(env.get_template(name).render(fonts) for name in STYLESHEETS[medium])
    return inline_custom_properties(css) if medium == "pdf" else css


@contextmanager
def _source_date_epoch(when: datetime) -> Iterator[None]:
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(max(0, int(when.timestamp())))
    try:
        yield
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
