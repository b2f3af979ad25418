"""Writing the chosen report formats into an output directory, each file atomically."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from audit.files import write_atomic
from audit.report.model import Report
from audit.report.render import render_html, render_json, render_markdown, render_pdf

FORMATS = ("html", "pdf", "json", "md")

FILE_NAMES = {"json": "report.json", "html": "report.html", "pdf": "report.pdf", "md": "report.md"}


def write_reports(
    report: Report,
    out_dir: Path,
    formats: Sequence[str],
    template_dir: Path | None = None,
) -> dict[str, Path]:
    """Render each format in ``formats`` and write it into ``out_dir``; return format -> path.

    Every format is rendered before anything is written, so an unknown format or a template
    error leaves the directory as it was.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}; choose from {list(FORMATS)}")
    renderers: dict[str, Callable[[], bytes]] = {
        "json": lambda: render_json(report).encode(),
        "html": lambda: render_html(report, template_dir).encode(),
        "pdf": lambda: render_pdf(report, template_dir),
        "md": lambda: render_markdown(report, template_dir).encode(),
    }
    chosen = list(dict.fromkeys(formats))
    rendered = {fmt: renderers[fmt]() for fmt in chosen}
    paths: dict[str, Path] = {}
    for fmt, data in rendered.items():
        path = out_dir / FILE_NAMES[fmt]
        write_atomic(path, data)
        paths[fmt] = path
    return paths
