"""Changes for people: the terminal's text and Markdown of ``cdc-preflight diff``.

The report's own "Changes since" section is rendered by its templates
(``_changes.html.j2``, ``_changes.md.j2``) with :func:`fmt_figure` and :func:`fmt_change`.
"""

from __future__ import annotations

from audit.history.changes import Changes, FindingChange, FindingRef, MetricChange
from audit.units import fmt_bytes, fmt_count, fmt_hours, fmt_rate, fmt_seconds, fmt_share

_FORMATTERS = {
    "bytes": fmt_bytes,
    "bytes/s": fmt_rate,
    "seconds": fmt_seconds,
    "hours": fmt_hours,
    "count": fmt_count,
}


def fmt_figure(value: float | None, unit: str) -> str:
    """A figure of :class:`MetricChange` in its unit: ``305 KiB/s``, ``18 s``, ``11``."""
    return _FORMATTERS[unit](value)


def fmt_change(metric: MetricChange) -> str:
    """``+95 KiB/s (+31.1 %)``, ``no change``, or ``unknown`` when either side is."""
    if metric.change is None:
        return "unknown"
    if metric.change == 0:
        return "no change"
    sign = "+" if metric.change > 0 else ""
    text = f"{sign}{fmt_figure(metric.change, metric.unit)}"
    if metric.ratio is not None:
        text += f" ({sign}{fmt_share(metric.ratio)})"
    return text


def _when(changes: Changes) -> str:
    if changes.baseline is None:
        return "no baseline"
    b = changes.baseline
    return f"{b.generated_at:%Y-%m-%d %H:%M %Z}".strip() + f" (report {b.report_id}, {b.source})"


def _ref_line(ref: FindingRef) -> str:
    waived = " [waived]" if ref.waived else ""
    return f"  {ref.severity.value:8}  {ref.code}  {ref.subject}: {ref.message}{waived}"


def _change_line(change: FindingChange) -> str:
    a, b = change.before, change.after
    severity = (
        f"{a.severity.value} -> {b.severity.value}"
        if "severity" in change.fields
        else (b.severity.value)
    )
    waiver = ""
    if "waived" in change.fields:
        waiver = " [waiver removed]" if a.waived else " [now waived]"
    return f"  {severity:8}  {change.code}  {change.subject}: {b.message}{waiver}"


def _metric_label(metric: MetricChange) -> str:
    return f"{metric.label} {metric.subject}" if metric.subject else metric.label


def render_text(changes: Changes) -> str:
    lines = [f"Changes since {_when(changes)}"]
    for title, refs in (("New", changes.new), ("Resolved", changes.resolved)):
        lines.append(f"{title} findings: {len(refs)}")
        lines += [_ref_line(r) for r in refs]
    lines.append(f"Changed findings: {len(changes.changed)}")
    lines += [_change_line(c) for c in changes.changed]
    lines.append("Figures:")
    width = max((len(_metric_label(m)) for m in changes.metrics), default=0)
    for m in changes.metrics:
        lines.append(
            f"  {_metric_label(m):{width}}  {fmt_figure(m.before, m.unit)} -> "
            f"{fmt_figure(m.after, m.unit)}  {fmt_change(m)}"
        )
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(changes: Changes) -> str:
    lines = [f"### Changes since {_md(_when(changes))}", ""]
    lines.append(
        f"{len(changes.new)} new, {len(changes.resolved)} resolved, "
        f"{len(changes.changed)} changed finding(s)."
    )
    for title, refs in (("New findings", changes.new), ("Resolved findings", changes.resolved)):
        if refs:
            lines += ["", f"#### {title}", "", "| Severity | Code | Subject | Message |"]
            lines.append("|---|---|---|---|")
            lines += [
                f"| {r.severity.value} | {r.code} | {_md(r.subject)} | {_md(r.message)} |"
                for r in refs
            ]
    if changes.changed:
        lines += ["", "#### Changed findings", "", "| Severity | Code | Subject | What changed |"]
        lines.append("|---|---|---|---|")
        for c in changes.changed:
            severity = f"{c.before.severity.value} → {c.after.severity.value}"
            lines.append(
                f"| {severity} | {c.code} | {_md(c.subject)} | {', '.join(c.fields)}: "
                f"{_md(c.after.message)} |"
            )
    if changes.metrics:
        lines += ["", "#### Figures", "", "| Figure | Before | After | Change |"]
        lines.append("|---|---:|---:|---:|")
        lines += [
            f"| {_md(_metric_label(m))} | {fmt_figure(m.before, m.unit)} | "
            f"{fmt_figure(m.after, m.unit)} | {fmt_change(m)} |"
            for m in changes.metrics
        ]
    return "\n".join(lines) + "\n"
