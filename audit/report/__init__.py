"""The report: model, renderers (JSON, HTML, PDF, Markdown) and writing them to disk."""

from audit.report.model import Report, ReportFinding, Verdict, build_report
from audit.report.render import render_html, render_json, render_markdown, render_pdf
from audit.report.write import FORMATS, write_reports

__all__ = [
    "FORMATS",
    "Report",
    "ReportFinding",
    "Verdict",
    "build_report",
    "render_html",
    "render_json",
    "render_markdown",
    "render_pdf",
    "write_reports",
]
