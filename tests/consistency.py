"""What one report must never say twice in two ways: the contradictions a reader spots first.

:func:`contradictions` reads an output directory as a reader would (report.json, report.md,
report.html, tables.csv, remediation.sql, remediation-aws.sh, facts.json) and lists every place
where two of them, or two parts of one, disagree:

- a server parameter set to two values (findings' fixes, the recommended settings, the
  remediation files; the parameter-group form compared with the parameter-group form);
- ``ALTER SYSTEM`` anywhere when the platform is RDS or Aurora (they refuse it);
- an unlogged or temporary table in the change stream or the WAL figures (it writes no WAL);
- a negative size (bytes) in the estimates, the inventory or tables.csv;
- the cover (HTML), the Markdown summary and report.json disagreeing on verdict or counts.

Used by tests over the committed samples and over the live catalogue servers' reports.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MANAGED = ("rds-postgresql", "aurora-postgresql")
SEVERITIES = ("critical", "high", "medium", "low", "info")
_ALTER = re.compile(r"ALTER SYSTEM SET (\w+) = ('(?:[^']|'')*'|[^;\s]+);")
_GROUP = re.compile(r"ParameterName=([\w.]+),ParameterValue=([^,\s']+),ApplyMethod=")
_PLACEHOLDER = re.compile(r"<[^<>]+>")
_MD_VERDICT = re.compile(r"^## CDC readiness report: \*\*(.+?)\*\*", re.M)
_MD_COUNTS = re.compile(r"^\| Critical \| High .*\n\|.*\n\| (.+) \|$", re.M)
_HTML_VERDICT = re.compile(r'<p class="verdict-word">([^<]+)</p>')
_HTML_COUNT = re.compile(r'<li class="count sev-(\w+)[^"]*"><span class="n">(\d+)</span>')
VERDICT_WORDS = {
    "not_ready": "NOT READY",
    "ready_with_risks": "READY WITH RISKS",
    "ready": "READY",
}


def _unquote(value: str) -> str:
    if value.startswith("'") and value.endswith("'"):
        return value[1:-1].replace("''", "'")
    return value


def _read(out: Path, name: str) -> str | None:
    path = out / name
    return path.read_text(encoding="utf-8") if path.exists() else None


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")
    else:
        yield path, node


def _is_size_key(path: str) -> bool:
    """A JSON path whose last name says it holds bytes (not a setting's -1 sentinel)."""
    last = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
    return last.endswith("bytes") or (last in ("low", "expected", "high") and "bytes" in path)


def setting_values(report: dict[str, Any], out: Path) -> dict[str, set[str]]:
    """Every value each server parameter is set to, per form: ``name`` in the PostgreSQL form
    (``ALTER SYSTEM``), ``group:name`` in the parameter-group form."""
    values: dict[str, set[str]] = defaultdict(set)
    recommendations = report.get("estimates", {}).get("recommendations", {}).get("settings", [])
    for rec in recommendations:
        if rec.get("status") != "ok" or rec.get("recommended") is None:
            continue
        values[rec["name"]].add(f"{rec['recommended']} (recommended settings)")
        group = rec.get("parameter_group_name") or rec["name"]
        values[f"group:{group}"].add(f"{rec['parameter_group_value']} (recommended settings)")
    for finding in report.get("findings", []):
        for step in (finding.get("fix") or {}).get("steps", []):
            where = f"{finding['code']} {finding['subject']}"
            for match in _ALTER.finditer(step["text"]):
                values[match[1]].add(f"{_unquote(match[2])} ({where})")
            for match in _GROUP.finditer(step["text"]):
                values[f"group:{match[1]}"].add(f"{match[2]} ({where})")
    for name, pattern, prefix in (
        ("remediation.sql", _ALTER, ""),
        ("remediation-aws.sh", _GROUP, "group:"),
    ):
        text = _read(out, name) or ""
        for match in pattern.finditer(text):
            values[f"{prefix}{match[1]}"].add(f"{_unquote(match[2])} ({name})")
    return values


def _value_conflicts(values: dict[str, set[str]]) -> Iterator[str]:
    for name, seen in sorted(values.items()):
        distinct = {v.split(" (", 1)[0] for v in seen}
        concrete = {v for v in distinct if not _PLACEHOLDER.search(v)}
        if len(concrete) > 1:
            yield f"{name} is set to {len(concrete)} values: {', '.join(sorted(seen))}"


def _no_alter_system(report: dict[str, Any], out: Path) -> Iterator[str]:
    if report["target"].get("platform") not in MANAGED:
        return
    for name in ("report.json", "report.md", "report.html", "remediation.sql"):
        text = _read(out, name) or ""
        if "ALTER SYSTEM" in text:
            yield f"{name} offers ALTER SYSTEM on {report['target']['platform']}"


def _no_unlogged_in_figures(report: dict[str, Any], facts: dict[str, Any]) -> Iterator[str]:
    silent = {
        t["qualified_name"]
        for t in facts.get("tables") or []
        if t.get("unlogged") or t.get("persistence") in ("u", "t", "temporary", "unlogged")
    }
    estimates = report.get("estimates", {})
    for figure, rows in (
        ("change_stream.per_table", estimates.get("change_stream", {}).get("per_table") or []),
        ("wal.per_table", estimates.get("wal", {}).get("per_table") or []),
    ):
        for row in rows:
            if row.get("table") in silent:
                yield f"{figure} counts {row['table']}, which writes no WAL"


def _no_negative_size(report: dict[str, Any], out: Path) -> Iterator[str]:
    for section in ("estimates", "inventory"):
        for path, value in _walk(report.get(section, {}), section):
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if number and value < 0 and _is_size_key(path):
                yield f"report.json {path} is a negative size ({value})"
    text = _read(out, "tables.csv")
    if text is None:
        return
    for row in csv.DictReader(text.splitlines()):
        for column, value in row.items():
            if "bytes" in (column or "") and value and value.lstrip().startswith("-"):
                yield f"tables.csv {row.get('table') or row}: {column} is negative ({value})"


def _outputs_agree(report: dict[str, Any], out: Path) -> Iterator[str]:
    verdict = VERDICT_WORDS[report["verdict"]]
    counts = [report["counts"][s] for s in SEVERITIES]
    counts += [report["counts"]["waived"], len(report["not_evaluated"])]
    markdown = _read(out, "report.md")
    if markdown is not None:
        said = _MD_VERDICT.search(markdown)
        if said is None or said[1] != verdict:
            yield f"report.md says {said[1] if said else 'no verdict'}, report.json {verdict}"
        table = _MD_COUNTS.search(markdown)
        shown = [int(n) for n in table[1].split(" | ")] if table else None
        if shown != counts:
            yield f"report.md counts {shown}, report.json {counts}"
    page = _read(out, "report.html")
    if page is not None:
        said = _HTML_VERDICT.search(page)
        word = html.unescape(said[1]).strip() if said else None
        if word != verdict:
            yield f"the HTML cover says {word}, report.json {verdict}"
        cover = {key: int(n) for key, n in _HTML_COUNT.findall(page)}
        wanted = {s: report["counts"][s] for s in SEVERITIES}
        if cover != wanted:
            yield f"the HTML cover counts {cover}, report.json {wanted}"


def contradictions(out: Path) -> list[str]:
    """Everything in the output directory ``out`` that contradicts something else in it."""
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    facts_text = _read(out, "facts.json")
    facts = json.loads(facts_text) if facts_text else {}
    found = list(_value_conflicts(setting_values(report, out)))
    found += _no_alter_system(report, out)
    found += _no_unlogged_in_figures(report, facts)
    found += _no_negative_size(report, out)
    found += _outputs_agree(report, out)
    return found
