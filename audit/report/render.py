"""Report -> JSON, HTML, PDF and Markdown text. Pure: the same report gives the same bytes."""

from __future__ import annotations

import re
from pathlib import Path

from audit.report.environment import environment
from audit.report.model import Report
from audit.report.view import Medium, context

HTML_TEMPLATE = "report.html.j2"
MARKDOWN_TEMPLATE = "report.md.j2"

_BLANK_RUNS = re.compile(r"\n{3,}")


def render_json(report: Report) -> str:
    """The report document: model field order, two-space indent, one trailing newline."""
    return report.model_dump_json(indent=2) + "\n"


def render_html(report: Report, template_dir: Path | None = None) -> str:
    """One self-contained HTML file: inline CSS, no scripts, nothing fetched."""
    return _render_page(report, "html", template_dir)


def render_markdown(report: Report, template_dir: Path | None = None) -> str:
    """A short summary to paste into a ticket."""
    template = environment(template_dir).get_template(MARKDOWN_TEMPLATE)
    text = template.render(context(report, "html"))
    return _BLANK_RUNS.sub("\n\n", text).strip() + "\n"


def render_pdf(report: Report, template_dir: Path | None = None) -> bytes:
    """The HTML template with the print stylesheet, laid out by WeasyPrint (A4).

    Deterministic: WeasyPrint 70 writes no file identifier unless asked and takes the
    creation date from ``<meta name=dcterms.created>``, which the template fills from
    ``generated_at``. Nothing is fetched: only ``data:`` URLs are allowed.
    """
    import weasyprint

    html = _render_page(report, "pdf", template_dir)
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(pdf_identifier=False)
    return pdf


def _render_page(report: Report, medium: Medium, template_dir: Path | None) -> str:
    template = environment(template_dir).get_template(HTML_TEMPLATE)
    return template.render(context(report, medium))
