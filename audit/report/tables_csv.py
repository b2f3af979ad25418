"""tables.csv: the per-table matrix, every table, for spreadsheets and scripts.

One row per table in name order, with the findings about it and their fixes. Cells that a
spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@`` first) get a leading ``'``,
so a hostile table name stays text. Numbers are written plainly (bytes, seconds, shares as
fractions), so the file sorts and sums without parsing units.

Sizes say what they include: ``heap_bytes`` is the main fork only (0 for a partitioned parent,
which has no storage), ``toast_bytes`` the TOAST table with its index, ``index_bytes`` the
table's indexes, and ``total_bytes_heap_toast_indexes`` their sum; a snapshot reads heap + TOAST.
Unlogged tables write no WAL: their ``changes_per_s`` and ``extra_wal_bytes_per_s`` are empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from audit.report.inventory import InventoryTable
from audit.report.model import Report, ReportFinding

COLUMNS = (
    "table",
    "kind",
    "parent",
    "scope",
    "unlogged",
    "primary_key",
    "replica_identity",
    "identity_index",
    "rows",
    "heap_bytes",
    "toast_bytes",
    "index_bytes",
    "total_bytes_heap_toast_indexes",
    "n_tup_ins",
    "n_tup_upd",
    "n_tup_del",
    "update_share",
    "delete_share",
    "changes_per_s",
    "extra_wal_bytes_per_s",
    "snapshot_seconds",
    "snapshot_seconds_low",
    "snapshot_seconds_high",
    "toastable_columns",
    "special_columns",
    "can_select",
    "row_security",
    "findings",
    "fix",
)

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def findings_by_subject(findings: Iterable[ReportFinding]) -> dict[str, list[ReportFinding]]:
    """Unwaived findings keyed by subject, worst first."""
    out: dict[str, list[ReportFinding]] = {}
    for finding in sorted(findings, key=lambda f: (f.severity.rank, f.code)):
        if not finding.waived:
            out.setdefault(finding.subject, []).append(finding)
    return out


def _cell(value: Any) -> str:
    if type(value) is str:  # most cells (50,000 rows x 29 columns): the common case first
        return "'" + value if value.startswith(_FORMULA) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if value != int(value) or abs(value) >= 1e15 else str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def row(table: InventoryTable, findings: Mapping[str, list[ReportFinding]]) -> list[str]:
    about = findings.get(table.name, [])
    snapshot = table.snapshot_seconds
    values: list[Any] = [
        table.name,
        table.kind,
        table.parent,
        table.scope,
        table.unlogged,
        table.primary_key if table.primary_key else None,
        table.replica_identity,
        table.identity_index,
        table.rows,
        table.heap_bytes,
        table.toast_bytes,
        table.index_bytes,
        table.total_bytes,
        table.n_tup_ins,
        table.n_tup_upd,
        table.n_tup_del,
        table.update_share,
        table.delete_share,
        table.changes_per_s,
        table.extra_wal_bytes_per_s,
        snapshot.expected if snapshot else None,
        snapshot.low if snapshot else None,
        snapshot.high if snapshot else None,
        table.toastable_columns,
        table.special_columns,
        table.can_select,
        table.row_security,
        [f"{f.code} ({f.severity.value})" for f in about] or None,
        "\n".join(f.fix.text() for f in about if f.fix) or None,
    ]
    return [_cell(v) for v in values]


def render_csv(report: Report) -> str:
    """The matrix as CSV (RFC 4180 quoting, ``\\n`` line ends), header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    findings = findings_by_subject(report.findings)
    for table in report.inventory.tables or []:
        writer.writerow(row(table, findings))
    return buffer.getvalue()
