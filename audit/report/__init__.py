"""The report: model, renderers (JSON, HTML, PDF, Markdown) and writing them to disk."""

from audit.report.model import Report, ReportFinding, Verdict, build_report
from audit.report.render import (
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_pdf,
    render_remediation_aws,
    render_remediation_sql,
)
from audit.report.write import COMPANION_FORMATS, FORMATS, MACHINE_FORMATS, write_reports

__all__ = [
    "COMPANION_FORMATS",
    "FORMATS",
    "MACHINE_FORMATS",
    "Report",
    "ReportFinding",
    "Verdict",
    "build_report",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "render_pdf",
    "render_remediation_aws",
    "render_remediation_sql",
    "write_reports",
]
