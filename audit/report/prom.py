"""metrics.prom: the audit in the Prometheus text exposition format (version 0.0.4).

Written for node_exporter's textfile collector: gauges only, no sample timestamps (the
collector refuses a file that has them), the same HELP text in every file (it refuses
families whose HELP differs between files), every figure in base units (bytes, seconds).

Every sample carries ``target`` (``host:port/database``), ``database`` and ``profile``, then
the report's labels. A label name that is not a valid Prometheus name has its other characters
replaced by ``_``; one that collides with a label of this file gets the prefix ``label_``.

The figures are report.json's own: the capacity figures through
:func:`audit.history.metrics.figures` (the ones ``diff`` and the history compare), the rest
from the verdict, counts, checks and sampling window. A figure the audit could not estimate
has no sample, never a 0: ``cdc_preflight_estimate_available`` says which are missing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.engine import Severity
from audit.history.metrics import Figure, figures
from audit.report.model import CheckStatus, Report, Verdict
from audit.report.view import target_label

PREFIX = "cdc_preflight_"
_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_NOT_NAME = re.compile(r"[^a-zA-Z0-9_]")
#: Labels this file sets itself; a report label of one of these names becomes label_<name>.
RESERVED = frozenset(
    {
        "target",
        "database",
        "profile",
        "verdict",
        "severity",
        "status",
        "slot",
        "estimate",
        "version",
        "report_id",
        "platform",
        "server_version",
        "le",
        "quantile",
        "instance",
        "job",
    }
)
#: figure name (audit.history.metrics) -> metric name and HELP; hours become seconds
_FIGURES: dict[str, tuple[str, str]] = {
    "wal_now_bytes_per_s": (
        "wal_bytes_per_second",
        "WAL written now: mean over the sampling window (bytes per second).",
    ),
    "wal_logical_bytes_per_s": (
        "logical_wal_bytes_per_second",
        "WAL expected once wal_level is logical and the connectors run (bytes per second).",
    ),
    "snapshot_seconds": (
        "snapshot_seconds",
        "Expected duration of the connector's initial snapshot (seconds).",
    ),
    "snapshot_retained_wal_bytes": (
        "snapshot_retained_wal_bytes",
        "WAL expected to be retained while the snapshot runs (bytes).",
    ),
    "runway_hours": (
        "runway_seconds",
        "Time until a stalled slot is invalidated or fills the disk, whichever comes first "
        "(seconds).",
    ),
    "tables": ("tables", "Tables in the database."),
    "table_bytes": ("table_bytes", "Size of the tables: heap, TOAST and indexes (bytes)."),
    "retained_wal_bytes": (
        "slot_retained_wal_bytes",
        "WAL retained by each replication slot (bytes).",
    ),
}
_ESTIMATES = {
    "wal_rate": "wal_now_bytes_per_s",
    "logical_wal_rate": "wal_logical_bytes_per_s",
    "snapshot": "snapshot_seconds",
    "runway": "runway_hours",
}


@dataclass
class _Family:
    name: str
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append((labels, value))


def render_prom(report: Report) -> bytes:
    """metrics.prom of ``report``; see the module doc."""
    base = {
        "target": target_label(report),
        "database": report.target.dbname or "",
        "profile": report.profile,
        **user_labels(report.labels),
    }
    lines: list[str] = []
    for family in _families(report):
        if not family.samples:
            continue
        lines.append(f"# HELP {family.name} {_help(family.help)}")
        lines.append(f"# TYPE {family.name} gauge")
        for labels, value in family.samples:
            lines.append(f"{family.name}{{{_labels({**base, **labels})}}} {_value(value)}")
    return ("\n".join(lines) + "\n").encode()


def user_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """The report's labels as valid label names that do not collide with this file's own."""
    out: dict[str, str] = {}
    for key, value in sorted(labels.items()):
        name = _NOT_NAME.sub("_", key)
        if not _NAME.fullmatch(name) or name.startswith("__"):
            name = f"label_{name.lstrip('_')}"
        if name in RESERVED:
            name = f"label_{name}"
        out.setdefault(name, value)
    return out


def _families(report: Report) -> list[_Family]:
    def family(name: str, help_text: str) -> _Family:
        made = _Family(PREFIX + name, help_text)
        families.append(made)
        return made

    families: list[_Family] = []
    info = family("info", "The audit that wrote this file: tool version, report id, platform.")
    info.add(
        1,
        version=report.tool.version,
        report_id=report.report_id,
        platform=report.target.platform or "",
        server_version=report.target.server_version or "",
    )
    verdict = family("verdict", "The verdict of the audit: 1 for the verdict given, 0 for others.")
    for given in Verdict:
        verdict.add(1 if report.verdict is given else 0, verdict=given.value)
    findings = family("findings", "Findings per severity, waived ones left out.")
    for severity in Severity:
        findings.add(report.counts.get(severity.value, 0), severity=severity.value)
    family("findings_waived", "Findings waived by the configuration.").add(
        report.counts.get("waived", 0)
    )
    if report.changes is not None and report.changes.baseline is not None:
        family("findings_new", "Findings new since the baseline run (--baseline).").add(
            len(report.changes.new)
        )
    if report.checks:
        checks = family("checks", "Rules of the run per outcome (passed, failed, waived, ...).")
        for status in CheckStatus:
            checks.add(sum(1 for c in report.checks if c.status is status), status=status.value)
    family("partial", "1 when the collection was interrupted and the report is partial.").add(
        1 if report.interrupted is not None else 0
    )
    found = {(f.name, f.subject): f for f in _figures(report)}
    for name, (metric, help_text) in _FIGURES.items():
        made = family(metric, help_text)
        for (figure_name, subject), figure in found.items():
            if figure_name != name or figure.value is None or not math.isfinite(figure.value):
                continue
            base_units = figure.value * 3600 if figure.unit == "hours" else figure.value
            made.add(base_units, **({"slot": subject} if subject is not None else {}))
    available = family(
        "estimate_available", "1 when the audit could estimate the figure, 0 when it could not."
    )
    for estimate, name in _ESTIMATES.items():
        known = found.get((name, None))
        available.add(0 if known is None or known.value is None else 1, estimate=estimate)
    if report.collection_seconds is not None:
        family(
            "audit_duration_seconds",
            "Seconds from connecting to the last fact collected (sampling window included).",
        ).add(report.collection_seconds)
    if report.series.window is not None:
        family("sampling_window_seconds", "Length of the sampling window (seconds).").add(
            report.series.window.seconds
        )
    family(
        "last_run_timestamp_seconds", "When the audit collected its facts (Unix time, seconds)."
    ).add(report.generated_at.timestamp())
    return families


def _figures(report: Report) -> list[Figure]:
    """The capacity figures of report.json, read by the history's own reader from the parts
    of the document it needs (the whole document on 50,000 tables is not made for this)."""
    document: dict[str, Any] = {
        "estimates": report.estimates.model_dump(mode="json", by_alias=True)
        if report.estimates is not None
        else None,
        "inventory": {
            "slots": [
                {"name": s.name, "retained_bytes": s.retained_bytes}
                for s in report.inventory.slots or []
            ],
            "tables": [
                {"kind": t.kind, "total_bytes": t.total_bytes}
                for t in report.inventory.tables or []
            ],
        },
    }
    return figures(document)


def _labels(labels: Mapping[str, str]) -> str:
    return ",".join(f'{name}="{_escape(value)}"' for name, value in labels.items())


def _escape(value: str) -> str:
    """A label value as the exposition format writes it: backslash, quote, newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _value(value: float) -> str:
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))
