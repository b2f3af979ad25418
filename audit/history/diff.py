"""The diff of two report.json documents: a pure function, no files, no store.

Findings are matched by (code, subject), the identity a rule gives a finding across runs; when
one report holds several findings with the same code and subject they are paired in order.
A finding only in the later report is new, only in the earlier one resolved, in both with
another severity, message or waiver changed. Capacity figures (:mod:`audit.history.metrics`)
are matched by name and, per slot, by slot name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from audit.engine import Severity
from audit.history.changes import (
    Baseline,
    Changes,
    FindingChange,
    FindingField,
    FindingRef,
    MetricChange,
)
from audit.history.metrics import Figure, figures
from audit.report.base import rounded

Document = Mapping[str, Any]
Key = tuple[str, str]


def finding_refs(doc: Document) -> list[FindingRef]:
    """The findings of a report.json document, as the diff names them."""
    return [
        FindingRef(
            code=f["code"],
            subject=f["subject"],
            title=f.get("title", ""),
            severity=Severity(f["severity"]),
            message=f.get("message", ""),
            waived=bool(f.get("waived", False)),
        )
        for f in doc.get("findings", [])
    ]


def _by_key(refs: list[FindingRef]) -> dict[Key, list[FindingRef]]:
    grouped: dict[Key, list[FindingRef]] = defaultdict(list)
    for ref in refs:
        grouped[(ref.code, ref.subject)].append(ref)
    return grouped


def _changed_fields(before: FindingRef, after: FindingRef) -> list[FindingField]:
    fields: list[FindingField] = []
    if before.severity is not after.severity:
        fields.append("severity")
    if before.message != after.message:
        fields.append("message")
    if before.waived != after.waived:
        fields.append("waived")
    return fields


def _order(ref: FindingRef) -> tuple[int, str, str]:
    return (ref.severity.rank, ref.code, ref.subject)


def _metric(before: Figure | None, after: Figure | None) -> MetricChange:
    known = after or before
    assert known is not None
    old = before.value if before else None
    new = after.value if after else None
    change = new - old if old is not None and new is not None else None
    ratio = change / old if change is not None and old else None
    return MetricChange(
        name=known.name,
        label=known.label,
        subject=known.subject,
        unit=known.unit,
        before=old,
        after=new,
        change=rounded(change) if change is not None else None,
        ratio=rounded(ratio) if ratio is not None else None,
    )


def metric_changes(before: Document, after: Document) -> list[MetricChange]:
    """Every figure of either report, in the order of the later one, then the earlier's rest."""
    old = {(f.name, f.subject): f for f in figures(before)}
    new = {(f.name, f.subject): f for f in figures(after)}
    keys = list(new) + [k for k in old if k not in new]
    return [_metric(old.get(k), new.get(k)) for k in keys]


def baseline_of(doc: Document, source: str) -> Baseline:
    return Baseline(
        report_id=str(doc["report_id"]),
        generated_at=datetime.fromisoformat(str(doc["generated_at"])),
        source=source,
    )


def diff_reports(before: Document, after: Document, source: str) -> Changes:
    """What changed from ``before`` (the baseline, read from ``source``) to ``after``."""
    old = _by_key(finding_refs(before))
    new = _by_key(finding_refs(after))
    added: list[FindingRef] = []
    resolved: list[FindingRef] = []
    changed: list[FindingChange] = []
    for key in new.keys() | old.keys():
        earlier, later = old.get(key, []), new.get(key, [])
        for a, b in zip(earlier, later, strict=False):
            fields = _changed_fields(a, b)
            if fields:
                changed.append(
                    FindingChange(
                        code=b.code,
                        subject=b.subject,
                        title=b.title,
                        fields=fields,
                        before=a,
                        after=b,
                    )
                )
        added += later[len(earlier) :]
        resolved += earlier[len(later) :]
    return Changes(
        baseline=baseline_of(before, source),
        new=sorted(added, key=_order),
        resolved=sorted(resolved, key=_order),
        changed=sorted(changed, key=lambda c: _order(c.after)),
        metrics=metric_changes(before, after),
    )
