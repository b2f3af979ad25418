"""fleet.json and fleet.csv: one entry per target, read from the target's own report.json.

An entry holds the target's name and folder, its status (``audited``, ``failed``,
``interrupted``, ``not_run``), the audit's exit code, and for an audited target the verdict,
the finding counts, the findings new since the last run in --history (``null`` without a
history, ``[]`` on a target's first run) and the key figures of its capacity plan, read from
report.json as the report shows them (:mod:`audit.history.metrics`), never recomputed. A
failed target carries the audit's own one-line error. An audit that exited 0 or 1 but left no
readable report.json is failed, not audited.

The fleet's exit code is the worst over its targets: 3 when any target could not be audited,
else 1 when any audit exited 1 (its --fail-on or --fail-on-new fired), else 0; an interrupted
fleet exits 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import csv
import io
import json
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audit import __version__
from audit.fleet.runner import EXIT_FINDINGS, FleetRun, Outcome, Status
from audit.fleet.shard import Shard
from audit.history.metrics import figures

FLEET_SCHEMA_VERSION = 1
EXIT_OK, EXIT_CANNOT_AUDIT = 0, 3
KEY_FIGURES = (
    "wal_now_bytes_per_s",
    "wal_logical_bytes_per_s",
    "snapshot_seconds",
    "runway_hours",
    "tables",
    "table_bytes",
)
SEVERITIES = ("critical", "high", "medium", "low")
CSV_COLUMNS = (
    "name",
    "status",
    "exit_code",
    "verdict",
    *SEVERITIES,
    "waived",
    "new_findings",
    *KEY_FIGURES,
    "target",
    "report",
    "seconds",
    "labels",
    "error",
)
_STATUS_RANK = {"failed": 0, "interrupted": 1, "not_run": 2, "audited": 3}
_VERDICT_RANK = {"not_ready": 0, "ready_with_risks": 1, "ready": 2}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def target_entry(outcome: Outcome, out: Path) -> dict[str, Any]:
    """The fleet.json entry of one target."""
    plan = outcome.plan
    entry: dict[str, Any] = {
        "name": plan.name,
        "folder": plan.folder,
        "status": outcome.status.value,
        "exit_code": outcome.exit_code,
        "verdict": None,
        "counts": None,
        "new_findings": None,
        "figures": None,
        "target": None,
        "report_id": None,
        "report": None,
        "log": f"logs/{plan.folder}.log" if outcome.status is not Status.NOT_RUN else None,
        "labels": plan.labels,
        "profile": plan.profile,
        "started_at": outcome.started_at.isoformat() if outcome.started_at else None,
        "seconds": _rounded(outcome.seconds),
        "cpu_seconds": _rounded(outcome.cpu_seconds),
        "peak_rss_bytes": outcome.peak_rss_bytes,
        "error": outcome.error,
    }
    if outcome.status is Status.AUDITED:
        path = out / plan.folder / "report.json"
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            entry["status"] = Status.FAILED.value
            entry["error"] = (
                f"the audit exited {outcome.exit_code} but {path} is unreadable: {reason}"
            )
            return entry
        entry.update(_from_report(document, plan.folder, "html" in plan.formats))
    return entry


def _from_report(document: Mapping[str, Any], folder: str, html: bool) -> dict[str, Any]:
    target = document.get("target") or {}
    where = f"{target.get('host') or 'local'}:{target.get('port') or 5432}/{target.get('dbname')}"
    return {
        "verdict": document.get("verdict"),
        "counts": document.get("counts"),
        "new_findings": _new_findings(document.get("changes")),
        "figures": {
            f.name: f.value
            for f in figures(document)
            if f.subject is None and f.name in KEY_FIGURES
        },
        "target": where,
        "report_id": document.get("report_id"),
        "report": f"{folder}/report.{'html' if html else 'json'}",
    }


def _new_findings(changes: Any) -> list[dict[str, Any]] | None:
    """New findings since the baseline; None without one, [] on a target's first run."""
    if not isinstance(changes, Mapping):
        return None
    keys = ("code", "subject", "severity", "title", "waived")
    return [{k: f.get(k) for k in keys} for f in changes.get("new") or [] if isinstance(f, Mapping)]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def exit_code(entries: Sequence[Mapping[str, Any]], interrupted: int | None) -> int:
    if interrupted is not None:
        return 128 + interrupted
    if any(e["status"] != Status.AUDITED.value for e in entries):
        return EXIT_CANNOT_AUDIT
    if any(e["exit_code"] == EXIT_FINDINGS for e in entries):
        return EXIT_FINDINGS
    return EXIT_OK


def worst_first(entries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Could not audit first (unknown is not a pass), then by verdict and finding counts."""

    def key(entry: Mapping[str, Any]) -> tuple[Any, ...]:
        counts = entry.get("counts") or {}
        return (
            _STATUS_RANK.get(entry["status"], 0),
            _VERDICT_RANK.get(entry.get("verdict") or "", 0),
            *(-int(counts.get(s, 0)) for s in SEVERITIES),
            -len(entry.get("new_findings") or []),
            entry["name"],
        )

    return sorted(entries, key=key)


def fleet_document(
    run: FleetRun,
    entries: list[dict[str, Any]],
    *,
    fleet_file: Path,
    concurrency: int,
    shard: Shard | None,
    history: str | None,
    total_targets: int,
) -> dict[str, Any]:
    statuses = [e["status"] for e in entries]
    verdicts = [e["verdict"] for e in entries if e["verdict"]]
    return {
        "schema_version": FLEET_SCHEMA_VERSION,
        "tool": {"name": "cdc-preflight", "version": __version__},
        "fleet_file": str(fleet_file),
        "started_at": run.started_at.isoformat(),
        "ended_at": run.ended_at.isoformat(),
        "seconds": round((run.ended_at - run.started_at).total_seconds(), 3),
        "concurrency": concurrency,
        "shard": None if shard is None else {"index": shard.index, "count": shard.count},
        "targets_in_file": total_targets,
        "history": history,
        "interrupted": None if run.interrupted is None else _signal_name(run.interrupted),
        "exit_code": exit_code(entries, run.interrupted),
        "totals": {
            "targets": len(entries),
            **{s.value: statuses.count(s.value) for s in Status},
            **{v: verdicts.count(v) for v in _VERDICT_RANK},
        },
        "targets": entries,
    }


def _signal_name(signum: int) -> str:
    return signal.Signals(signum).name


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_csv(entries: Sequence[Mapping[str, Any]]) -> str:
    """fleet.csv: one row per target in file order; cells a spreadsheet would read as a
    formula get a leading ``'`` (a hostile target name stays text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        counts = entry.get("counts") or {}
        values = entry.get("figures") or {}
        new = entry.get("new_findings")
        row: list[Any] = [entry["name"], entry["status"], entry["exit_code"], entry["verdict"]]
        row += [counts.get(s) for s in (*SEVERITIES, "waived")]
        row += [None if new is None else len(new)]
        row += [values.get(name) for name in KEY_FIGURES]
        row += [entry["target"], entry["report"], entry["seconds"]]
        row += [";".join(f"{k}={v}" for k, v in sorted(entry["labels"].items())), entry["error"]]
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if value != int(value) or abs(value) >= 1e15 else str(int(value))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text
