"""Writing the chosen report formats into an output directory, each file atomically.

Beside the documents a person reads (html, pdf, md) go the files they act on:

- ``tables.csv``: the per-table matrix, every table (format ``csv``);
- ``remediation.sql``: the remediation plan as SQL (format ``sql``);
- ``remediation-aws.sh``: the plan's AWS CLI commands, only when it has some; a stale copy from
  an earlier run into the same directory is removed when this plan has none.

They are written whenever html, pdf or md is requested (so ``--format html,pdf,json,md``, the
CLI's default, produces them), or on their own by naming ``csv`` or ``sql``. JSON alone writes
only report.json: that run is for machines.

Two more formats are for machines that watch scheduled runs (docs/schedules.md):

- ``junit.xml`` (format ``junit``): one test case per rule and subject for CI test dashboards
  (:mod:`audit.report.junit`);
- ``metrics.prom`` (format ``prom``): gauges in the Prometheus text format for node_exporter's
  textfile collector (:mod:`audit.report.prom`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from audit import forked
from audit.files import hidden_beside, write_atomic, write_atomic_chunks, write_hidden
from audit.gc_pause import paused_gc
from audit.report.junit import render_junit
from audit.report.model import Report
from audit.report.prom import render_prom
from audit.report.render import (
    render_csv,
    render_html,
    render_json_chunks,
    render_markdown,
    render_pdf,
    render_remediation_aws,
    render_remediation_sql,
    shared_contexts,
)

FORMATS = ("html", "pdf", "json", "md")
#: Formats write_reports also accepts; the documents bring them along (see the module doc).
COMPANION_FORMATS = ("csv", "sql")
#: Formats for schedulers and monitoring, written only when asked for.
MACHINE_FORMATS = ("junit", "prom")
ACCEPTED = FORMATS + COMPANION_FORMATS + MACHINE_FORMATS
DOCUMENTS = ("html", "pdf", "md")
#: Written by a second process where one can be forked, while this one renders the documents
#: and remediation.sql (the two take about as long on a large schema).
SECOND_PROCESS = ("json", "csv")

FILE_NAMES = {
    "json": "report.json",
    "html": "report.html",
    "pdf": "report.pdf",
    "md": "report.md",
    "csv": "tables.csv",
    "sql": "remediation.sql",
    "aws": "remediation-aws.sh",
    "junit": "junit.xml",
    "prom": "metrics.prom",
}


def output_formats(formats: Sequence[str]) -> list[str]:
    """The requested formats in order, plus the companion files the documents bring along."""
    chosen = list(dict.fromkeys(formats))
    if any(f in DOCUMENTS for f in chosen):
        chosen += [f for f in COMPANION_FORMATS if f not in chosen]
    return chosen


@paused_gc()
def write_reports(
    report: Report,
    out_dir: Path,
    formats: Sequence[str],
    template_dir: Path | None = None,
) -> dict[str, Path]:
    """Render each format in ``formats`` and write it into ``out_dir``; return format -> path.

    Every file is rendered before any is put in place (report.json, the largest, as it is
    written into a temporary file beside its place), so an unknown format or a template error
    leaves the directory as it was. The result also names the companion files
    (``csv``, ``sql``, and ``aws`` for remediation-aws.sh when written).

    Where a second process can be forked (:mod:`audit.forked`), it writes report.json and
    tables.csv (:data:`SECOND_PROCESS`) while this one renders the rest: the same bytes.
    """
    unknown = [f for f in formats if f not in ACCEPTED]
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}; choose from {list(ACCEPTED)}")
    chosen = output_formats(formats)
    machine = [f for f in chosen if f in SECOND_PROCESS]
    with shared_contexts():  # html and md read one view context, and every file one plan
        if machine and len(machine) < len(chosen) and forked.usable():
            return _write_in_two_processes(report, out_dir, chosen, template_dir)
        renderers = _renderers(report, template_dir)
        rendered = {fmt: renderers[fmt]() for fmt in chosen if fmt != "json"}
        script = render_remediation_aws(report) if "sql" in chosen else None
    if script is not None:
        rendered["aws"] = script.encode()
    if "json" in chosen:  # rendered while written (60 MB on 50,000 tables), before the rest
        write_atomic_chunks(out_dir / FILE_NAMES["json"], render_json_chunks(report))
    paths: dict[str, Path] = {}
    for fmt in [*chosen, *(["aws"] if script is not None else [])]:
        path = out_dir / FILE_NAMES[fmt]
        if fmt != "json":
            write_atomic(path, rendered.pop(fmt))  # each document freed once it is written
        paths[fmt] = path
    if "sql" in chosen and script is None:
        (out_dir / FILE_NAMES["aws"]).unlink(missing_ok=True)
    return paths


def _renderers(report: Report, template_dir: Path | None) -> dict[str, Callable[[], bytes]]:
    return {
        "html": lambda: render_html(report, template_dir).encode(),
        "pdf": lambda: render_pdf(report, template_dir),
        "md": lambda: render_markdown(report, template_dir).encode(),
        "csv": lambda: render_csv(report).encode(),
        "sql": lambda: render_remediation_sql(report).encode(),
        "junit": lambda: render_junit(report),
        "prom": lambda: render_prom(report),
    }


def _write_in_two_processes(
    report: Report, out_dir: Path, chosen: list[str], template_dir: Path | None
) -> dict[str, Path]:
    """:func:`write_reports` with report.json and tables.csv written by a forked child into
    hidden temporary files while this process renders the rest; all are put in place once both
    have succeeded. On any error or interrupt the child is killed and its files removed."""
    created = not out_dir.is_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    hidden: dict[str, Path] = {}
    try:
        for fmt in chosen:
            if fmt in SECOND_PROCESS:
                hidden[fmt] = hidden_beside(out_dir / FILE_NAMES[fmt])
        renderers = _renderers(report, template_dir)
        with forked.forked(lambda: _write_machine_files(report, hidden)) as child:
            if child is None:  # the fork failed after all (out of processes or memory)
                _write_machine_files(report, hidden)
            rendered = {fmt: renderers[fmt]() for fmt in chosen if fmt not in hidden}
            script = render_remediation_aws(report) if "sql" in chosen else None
            if child is not None:
                child.result()
        if script is not None:
            rendered["aws"] = script.encode()
        paths: dict[str, Path] = {}
        for fmt in [*chosen, *(["aws"] if script is not None else [])]:
            path = out_dir / FILE_NAMES[fmt]
            if fmt in hidden:
                os.replace(hidden.pop(fmt), path)
            else:
                write_atomic(path, rendered.pop(fmt))
            paths[fmt] = path
    except BaseException:
        for leftover in hidden.values():
            leftover.unlink(missing_ok=True)
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()
        raise
    if "sql" in chosen and script is None:
        (out_dir / FILE_NAMES["aws"]).unlink(missing_ok=True)
    return paths


def _write_machine_files(report: Report, hidden: dict[str, Path]) -> None:
    """Fill the hidden files of :data:`SECOND_PROCESS`'s formats."""
    if "json" in hidden:
        write_hidden(hidden["json"], render_json_chunks(report))
    if "csv" in hidden:
        write_hidden(hidden["csv"], (render_csv(report).encode(),))
