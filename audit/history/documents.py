"""Reading a report.json for a diff or a baseline: a file, or the output directory holding it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.engine import Severity

REPORT_FILE = "report.json"
#: Bytes of a report.json read at most (a report of thousands of tables is a few MB).
MAX_REPORT_BYTES = 256 * 1024 * 1024


class ReportFileError(ValueError):
    """The path is not a readable report.json: a usage error, said in one line."""


def report_path(path: Path) -> Path:
    """``path`` itself, or ``path/report.json`` when it is a directory."""
    if path.is_dir():
        inner = path / REPORT_FILE
        if not inner.is_file():
            hint = " (written with --format json)" if (path / "facts.json").is_file() else ""
            raise ReportFileError(f"{path} holds no {REPORT_FILE}{hint}")
        return inner
    if not path.exists():
        raise ReportFileError(f"{path}: no such file or directory")
    return path


def read_report(path: Path) -> dict[str, Any]:
    """The report.json document at ``path`` (a file or an output directory)."""
    file = report_path(path)
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise ReportFileError(f"cannot read {file}: {exc.strerror or exc}") from exc
    if len(data) > MAX_REPORT_BYTES:
        raise ReportFileError(f"{file} is larger than {MAX_REPORT_BYTES} bytes")
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportFileError(f"{file} is not JSON: {exc}") from exc
    return check_report(doc, str(file))


def check_report(doc: Any, where: str) -> dict[str, Any]:
    """``doc`` when it is a report.json document; ReportFileError naming the first problem."""
    if not isinstance(doc, dict):
        raise ReportFileError(f"{where} is not a report.json (a JSON object was expected)")
    missing = [k for k in ("report_id", "generated_at", "findings") if k not in doc]
    if missing:
        hint = " (it looks like a facts.json: run analyze on it)" if "collected_at" in doc else ""
        raise ReportFileError(f"{where} is not a report.json: no {', '.join(missing)}{hint}")
    try:
        datetime.fromisoformat(str(doc["generated_at"]))
    except ValueError:
        raise ReportFileError(
            f"{where}: generated_at {doc['generated_at']!r} is not an ISO 8601 time"
        ) from None
    if not isinstance(doc["findings"], list):
        raise ReportFileError(f"{where}: findings is not a list")
    severities = {s.value for s in Severity}
    for i, finding in enumerate(doc["findings"]):
        if not isinstance(finding, dict) or not all(
            isinstance(finding.get(k), str) for k in ("code", "subject", "severity")
        ):
            raise ReportFileError(f"{where}: findings[{i}] lacks code, subject or severity")
        if finding["severity"] not in severities:
            raise ReportFileError(
                f"{where}: findings[{i}].severity {finding['severity']!r} is not one of "
                f"{', '.join(sorted(severities))}"
            )
    return doc
