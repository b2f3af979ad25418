"""Report -> JSON, HTML, PDF and Markdown text. Pure: the same report gives the same bytes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

from audit.report import remediation, tables_csv
from audit.report.css import inline_custom_properties
from audit.report.environment import environment
from audit.report.fonts import MONO, SANS, font_faces_css, is_packaged_font
from audit.report.model import Report
from audit.report.view import Medium, context, target_label

HTML_TEMPLATE = "report.html.j2"
MARKDOWN_TEMPLATE = "report.md.j2"
STYLESHEETS: dict[Medium, tuple[str, ...]] = {
    "html": ("report.css", "screen.css", "brand.css"),
    "pdf": ("report.css", "print.css", "brand.css"),
}

_BLANK_RUNS = re.compile(r"\n{3,}")


def render_json(report: Report) -> str:
    """The report document: model field order, two-space indent, one trailing newline."""
    return render_json_bytes(report).decode()


def render_json_bytes(report: Report) -> bytes:
    """:func:`render_json` encoded, made as bytes: on 50,000 tables the document is 60 MB, and
    text then bytes would hold it three times over."""
    return report.__pydantic_serializer__.to_json(report, indent=2) + b"\n"


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
    return template.render(context(report, medium), stylesheet=Markup(css))


def _stylesheet(env: jinja2.Environment, medium: Medium) -> str:
    fonts = {"font_faces": font_faces_css(), "sans": SANS, "mono": MONO} if medium == "pdf" else {}
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
