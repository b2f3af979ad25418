"""fleet.html: one self-contained page, one row per target, worst first, in the report's style.

The page uses the report's own stylesheets (report.css, screen.css, brand.css: the same
palette, badges and count boxes) inlined, so it opens from a file share or a CI artifact with
nothing beside it but the target folders it links to. Every value from the fleet file or a
report (target names, labels, errors) is escaped by the template's autoescaping; links are
the target folders, which are safe file names (see :func:`audit.fleet.config.load_fleet`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from audit.fleet.summary import KEY_FIGURES, SEVERITIES, worst_first
from audit.report.environment import environment

TEMPLATE = "fleet.html.j2"
STYLESHEETS = ("report.css", "screen.css", "brand.css")
FIGURE_LABELS = {
    "wal_now_bytes_per_s": ("WAL now", "rate"),
    "snapshot_seconds": ("Snapshot", "seconds"),
    "tables": ("Tables", "count"),
    "table_bytes": ("Size", "bytes"),
}


def render_html(document: Mapping[str, Any]) -> str:
    env = environment()
    stylesheet = "\n".join(env.get_template(name).render() for name in STYLESHEETS)
    assert set(FIGURE_LABELS) <= set(KEY_FIGURES)
    return env.get_template(TEMPLATE).render(
        fleet=document,
        rows=worst_first(document["targets"]),
        severities=SEVERITIES,
        figure_labels=FIGURE_LABELS,
        stylesheet=Markup(stylesheet),
    )
