"""The inventory as the HTML and PDF show it: rows ordered by impact, capped, in words.

tables.csv carries every table; the documents show the ones that matter first: tables with
findings (worst first), then those adding the most WAL under logical, changing the most,
and the largest. The PDF keeps :data:`PDF_TABLES` of them, the HTML :data:`HTML_TABLES`,
and both say how many more are in the CSV.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

from audit.report.environment import first_line
from audit.report.inventory import InventorySetting, InventoryTable
from audit.report.model import Report, ReportFinding
from audit.report.tables_csv import findings_by_subject
from audit.units import fmt_bytes, fmt_per_second, fmt_rate, fmt_seconds, fmt_share, size_bytes

PDF_TABLES = 100
HTML_TABLES = 2000
_NO_FINDING = 99


@dataclass(frozen=True)
class FindingRef:
    code: str
    severity: str
    anchor: str


@dataclass(frozen=True)
class TableRow:
    name: str
    scope: str
    key: str
    identity: str
    shares: str
    size: str
    toast: str
    special: str
    activity: str
    snapshot: str
    findings: list[FindingRef]
    fix: str


@dataclass(frozen=True)
class Matrix:
    rows: list[TableRow]
    total: int
    shown: int
    collected: bool

    @property
    def more(self) -> int:
        return self.total - self.shown


@dataclass(frozen=True)
class SettingRow:
    name: str
    running: str
    configured: str
    required: str
    restart: str
    source: str
    findings: list[FindingRef]


def impact_key(
    table: InventoryTable, findings: Mapping[str, list[ReportFinding]]
) -> tuple[int, float, float, float, str]:
    about = findings.get(table.name, [])
    worst = min((f.severity.rank for f in about), default=_NO_FINDING)
    return (
        worst,
        -(table.extra_wal_bytes_per_s or 0.0),
        -(table.changes_per_s or 0.0),
        -float(table.total_bytes or 0),
        table.name,
    )


def by_impact(
    tables: list[InventoryTable], findings: Mapping[str, list[ReportFinding]], cap: int
) -> list[InventoryTable]:
    """The ``cap`` tables of most impact, in :func:`impact_key` order (the same as sorting
    them all and keeping the first ``cap``, without ordering the 48,000 the HTML leaves out)."""
    worst = {
        subject: min((f.severity.rank for f in about), default=_NO_FINDING)
        for subject, about in findings.items()
    }
    return heapq.nsmallest(
        cap,
        tables,
        key=lambda t: (
            worst.get(t.name, _NO_FINDING),
            -(t.extra_wal_bytes_per_s or 0.0),
            -(t.changes_per_s or 0.0),
            -float(t.total_bytes or 0),
            t.name,
        ),
    )


def _refs(findings: list[ReportFinding], anchors: set[str]) -> list[FindingRef]:
    refs = []
    for f in findings:
        anchor = f"rule-{f.severity.value}-{f.code}"
        refs.append(FindingRef(f.code, f.severity.value, anchor if anchor in anchors else ""))
    return refs


def _key(table: InventoryTable) -> str:
    if table.primary_key:
        return "PK (" + ", ".join(table.primary_key) + ")"
    return "none"


def _identity(table: InventoryTable) -> str:
    if table.replica_identity == "index":
        return f"index {table.identity_index}" if table.identity_index else "index (dropped)"
    return table.replica_identity


def _shares(table: InventoryTable) -> str:
    if table.update_share is None or table.delete_share is None:
        return "unknown"
    text = f"{fmt_share(table.update_share)} / {fmt_share(table.delete_share)}"
    return text if table.share_basis == "window" else f"{text} (since reset)"


def _toast(table: InventoryTable) -> str:
    parts = []
    if table.toast_bytes:
        parts.append(fmt_bytes(table.toast_bytes))
    if table.toastable_columns:
        n = len(table.toastable_columns)
        parts.append(f"{n} col{'s' if n != 1 else ''}")
    return ", ".join(parts)


def _special(table: InventoryTable) -> str:
    if not table.special_columns:
        return ""
    shown = table.special_columns[:3]
    more = len(table.special_columns) - len(shown)
    return "; ".join(shown) + (f"; +{more} more" if more else "")


def _activity(table: InventoryTable) -> str:
    parts = []
    if table.changes_per_s is not None:
        parts.append(fmt_per_second(table.changes_per_s, "rows"))
    if table.extra_wal_bytes_per_s is not None:
        parts.append(f"+{fmt_rate(table.extra_wal_bytes_per_s)} WAL")
    return "; ".join(parts)


def _snapshot(table: InventoryTable) -> str:
    band = table.snapshot_seconds
    if band is None:
        return ""
    return f"{fmt_seconds(band.expected)} ({fmt_seconds(band.low)} – {fmt_seconds(band.high)})"


def table_matrix(report: Report, cap: int, anchors: set[str]) -> Matrix:
    tables = report.inventory.tables
    if tables is None:
        return Matrix([], 0, 0, collected=False)
    findings = findings_by_subject(report.findings)
    rows = []
    for table in by_impact(tables, findings, cap):
        about = findings.get(table.name, [])
        fixes = [f.fix for f in about if f.fix]
        rows.append(
            TableRow(
                name=table.name,
                scope=table.scope,
                key=_key(table),
                identity=_identity(table),
                shares=_shares(table),
                size=fmt_bytes(table.total_bytes) if table.total_bytes is not None else "unknown",
                toast=_toast(table),
                special=_special(table),
                activity=_activity(table),
                snapshot=_snapshot(table),
                findings=_refs(about, anchors),
                fix=first_line(fixes[0].text()) if fixes else "",
            )
        )
    return Matrix(rows, len(tables), len(rows), collected=True)


def setting_rows(report: Report, anchors: set[str]) -> list[SettingRow] | None:
    settings = report.inventory.settings
    if settings is None:
        return None
    findings = findings_by_subject(report.findings)
    return [_setting_row(s, findings.get(f"setting:{s.name}", []), anchors) for s in settings]


def setting_value(value: str, unit: str | None) -> str:
    """``16384`` in ``8kB`` reads ``128 MiB``; ``-1`` and ``0`` (off, unlimited) stay as is."""
    if not unit or value in ("-1", "0"):
        return value
    size = size_bytes(value, unit) if value.lstrip("-").isdigit() else None
    if size is not None:
        return fmt_bytes(size)
    return f"{value} {unit}"


def _setting_row(
    setting: InventorySetting, findings: list[ReportFinding], anchors: set[str]
) -> SettingRow:
    configured = ""
    if setting.configured is not None:
        configured = setting_value(setting.configured, setting.unit)
        if setting.configured_source:
            configured += f" ({setting.configured_source})"
    if setting.applies_at in ("restart", "writer reboot"):
        restart = f"pending {setting.applies_at}"
    elif setting.pending_restart:
        restart = "pending"
    elif setting.context == "postmaster":
        restart = "to change it"
    else:
        restart = "no"
    return SettingRow(
        name=setting.name,
        running=setting_value(setting.value, setting.unit)
        if setting.value is not None
        else "not reported",
        configured=configured,
        required=setting.required or "",
        restart=restart,
        source=setting.source or "",
        findings=_refs(findings, anchors),
    )
