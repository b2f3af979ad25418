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
        return _float(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _text(value: Any) -> Any:
    """A text cell as :func:`_cell` writes it; None is left to the writer (an empty cell)."""
    if type(value) is str:
        return "'" + value if value.startswith(_FORMULA) else value
    return None if value is None else _cell(value)


def _number(value: Any) -> Any:
    """A number cell as :func:`_cell` writes it; an int and None are left to the writer, which
    writes ``str(value)`` and an empty cell as :func:`_cell` does."""
    kind = type(value)
    if kind is int or value is None:
        return value
    if kind is float:  # without _cell's other checks first
        return _float(value)
    return _cell(value)


def _float(value: float) -> str:
    """Six significant digits; a whole number below 1e15 without its ".0"."""
    return f"{value:.6g}" if value != int(value) or abs(value) >= 1e15 else str(int(value))


def _names(value: list[str] | None) -> str:
    """A list of names as :func:`_cell` writes it (most tables have none)."""
    return _cell(value) if value else ""


def _flag(value: Any) -> str:
    return "true" if value is True else "false" if value is False else _cell(value)


def row(table: InventoryTable, findings: Mapping[str, list[ReportFinding]]) -> list[Any]:
    """One table's cells for the csv writer, each written as :func:`_cell` writes it: ints and
    Nones are left to the csv module, which writes them the same (1.45 million cells on 50,000
    tables)."""
    about = findings.get(table.name, [])
    snapshot = table.snapshot_seconds
    return [
        _text(table.name),
        _text(table.kind),
        _text(table.parent),
        _text(table.scope),
        _flag(table.unlogged),
        _cell(table.primary_key) if table.primary_key else None,
        _text(table.replica_identity),
        _text(table.identity_index),
        _number(table.rows),
        _number(table.heap_bytes),
        _number(table.toast_bytes),
        _number(table.index_bytes),
        _number(table.total_bytes),
        _number(table.n_tup_ins),
        _number(table.n_tup_upd),
        _number(table.n_tup_del),
        _number(table.update_share),
        _number(table.delete_share),
        _number(table.changes_per_s),
        _number(table.extra_wal_bytes_per_s),
        _number(snapshot.expected) if snapshot else None,
        _number(snapshot.low) if snapshot else None,
        _number(snapshot.high) if snapshot else None,
        _names(table.toastable_columns),
        _names(table.special_columns),
        _flag(table.can_select),
        _flag(table.row_security),
        _cell([f"{f.code} ({f.severity.value})" for f in about]) if about else None,
        _cell("\n".join(f.fix.text() for f in about if f.fix) or None) if about else None,
    ]


def render_csv(report: Report) -> str:
    """The matrix as CSV (RFC 4180 quoting, ``\\n`` line ends), header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    findings = findings_by_subject(report.findings)
    writer.writerows(row(table, findings) for table in report.inventory.tables or [])
    return buffer.getvalue()
