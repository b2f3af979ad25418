"""Trends end to end: three weekly runs of growing facts into a history (SQLite through the
command line, and PostgreSQL), then the report's "Trends since" section in report.json, HTML
(parsed), Markdown and PDF (pdftotext); none without a history or with one run; and pandas
stays out of a run without history."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import psycopg
import pytest
from history_support import SAMPLE_FACTS

from audit.config import load_config
from audit.engine import get_profile
from audit.facts import read_facts
from audit.facts.io import facts_sha256
from audit.history.baseline import LAST, HistoryOptions, HistoryRun
from audit.pipeline import analyze

MIB = 1024**2
CONFIG = SAMPLE_FACTS.parent / "cdc-preflight.toml"


def grown_facts(tmp_path: Path, n: int) -> Path:
    """The demo facts ``n`` weeks later: every table 30 % bigger per week, the abandoned slot
    holding 60 MiB more per week, and max_slot_wal_keep_size set to 1 GiB."""
    facts: dict[str, Any] = json.loads(SAMPLE_FACTS.read_text())
    facts["collected_at"] = (
        datetime.fromisoformat(facts["collected_at"]) + timedelta(weeks=n)
    ).isoformat()
    for table in facts["tables"]:
        for key in ("heap_bytes", "toast_bytes", "index_bytes"):
            if table.get(key):
                table[key] = int(table[key] * (1 + 0.3 * n))
        if table.get("reltuples"):
            table["reltuples"] *= 1 + 0.3 * n
    facts["slots"][0]["retained_bytes"] += 60 * MIB * n
    facts["settings"]["max_slot_wal_keep_size"].update(value="1024", source="configuration file")
    path = tmp_path / f"week{n}.json"
    path.write_text(json.dumps(facts))
    return path


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


class _Sections(HTMLParser):
    """The text of ``<section id=trends>``, its headings, and its chart titles."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.text: list[str] = []
        self.headings: list[str] = []
        self.svg_titles: list[str] = []
        self._tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section" and ("id", "trends") in attrs:
            self.depth = 1
        elif self.depth and tag == "section":
            self.depth += 1
        self._tag = tag

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "section":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            return
        self.text.append(data)
        if self._tag in ("h2", "h3"):
            self.headings.append(data.strip())
        if self._tag == "title":
            self.svg_titles.append(data.strip())


def test_three_weekly_runs_render_the_trends_section(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    for n in range(3):
        result = cli(
            "analyze", grown_facts(tmp_path, n), "--out", tmp_path / f"w{n}",
            "--config", CONFIG, "--history", history, "--baseline", "last",
            "--format", "json,md,html,pdf" if n == 2 else "json",
        )  # fmt: skip
        assert result.returncode == 1, result.stderr  # the demo's criticals
    first = json.loads((tmp_path / "w0" / "report.json").read_text())
    assert first["trends"] is None  # one run: nothing to trend
    second = json.loads((tmp_path / "w1" / "report.json").read_text())
    assert len(second["trends"]["runs"]) == 2
    assert second["trends"]["notes"][0].startswith("Two runs")

    trends = json.loads((tmp_path / "w2" / "report.json").read_text())["trends"]
    assert [r["source"] for r in trends["runs"]][-1] == "this run"
    assert trends["since"].startswith("2026-12-02") and trends["simulated"] is None
    series = {(s["name"], s["subject"]): s for s in trends["series"]}
    total = series[("table_bytes", None)]
    assert total["values"][1] / total["values"][0] == pytest.approx(1.3, rel=0.01)
    assert total["fit"]["runs"] == 3 and total["fit"]["span_days"] == 14
    assert total["fit"]["slope_per_week"] == pytest.approx(0.3 * total["values"][0], rel=0.01)
    slot = series[("retained_wal_bytes", "standby_decommissioned")]
    assert slot["fit"]["slope_per_week"] == pytest.approx(60 * MIB, rel=1e-4)
    reach = next(e for e in trends["extrapolations"] if e["series"] == "retained_wal_bytes")
    # 1 GiB - (73.7 + 120 MiB) to go at 60 MiB a week
    expected = (1024 * MIB - slot["values"][-1]) / (60 * MIB)
    assert reach["weeks"] == pytest.approx(expected, rel=1e-3)
    snapshot = next(
        e for e in trends["extrapolations"] if e["series"] == "snapshot_retained_wal_bytes"
    )
    # the limit as the report's runway estimate states it (6 significant digits)
    assert "max_slot_wal_keep_size (1,024 MiB)" in snapshot["text"]

    page = _Sections()
    page.feed((tmp_path / "w2" / "report.html").read_text())
    text = " ".join(" ".join(page.text).split())
    since = datetime.fromisoformat(trends["since"]).astimezone(UTC)
    assert page.headings[0] == f"Trends since {since:%Y-%m-%d %H:%M} UTC"
    assert "Where the trends lead" in page.headings
    assert "WAL retained per replication slot" in page.svg_titles
    assert "Size of the largest tables (heap, TOAST, indexes)" in page.svg_titles
    assert reach["text"] in text

    markdown = (tmp_path / "w2" / "report.md").read_text()
    assert f"### Trends since {since:%Y-%m-%d %H:%M} UTC" in markdown
    assert markdown.index("### Changes since") < markdown.index("### Trends since")
    assert "| Table size (heap, TOAST, indexes) |" in markdown

    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    pdf = subprocess.run(
        ["pdftotext", str(tmp_path / "w2" / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(pdf.split())
    assert f"Trends since {since:%Y-%m-%d %H:%M} UTC" in flat
    assert "standby_decommissioned retains" in flat and "the slot is then invalidated" in flat


def test_no_history_no_trends_and_no_pandas(tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "from audit.cli import main\n"
        "try:\n"
        f"    main(['analyze', {str(SAMPLE_FACTS)!r}, '--out', {str(tmp_path / 'o')!r},"
        " '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'pandas' not in sys.modules, 'pandas imported without a history'\n"
        f"print(json.load(open({str(tmp_path / 'o' / 'report.json')!r}))['trends'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "None"  # "trends": null


def _postgres_url(server: Any, dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(server.conninfo(dbname))
    return f"postgresql://{info['user']}:{info['password']}@{info['host']}:{info['port']}/{dbname}"


@pytest.mark.pg
def test_trends_from_a_postgresql_history(
    tmp_path: Path, server_pool: Any, make_db: Callable[[object], str]
) -> None:
    server = server_pool.get(18, {"wal_level": "replica"})
    location = _postgres_url(server, make_db(server))
    reports = []
    for n in range(3):
        path = grown_facts(tmp_path, n)
        facts = read_facts(path)
        report = analyze(
            facts,
            profile=get_profile("debezium"),
            config=load_config(CONFIG),
            facts_sha256=facts_sha256(path),
        )
        history = HistoryRun(HistoryOptions(history=location, baseline=LAST))
        try:
            report = history.annotate(report, facts)
            history.record(report, facts, path.read_bytes())
        finally:
            history.close()
        reports.append(report)
    assert reports[0].trends is None
    trends = reports[2].trends
    assert trends is not None and len(trends.runs) == 3
    assert [r.source for r in trends.runs][:2] == ["history run 1", "history run 2"]
    assert reports[2].changes is not None and reports[2].changes.baseline is not None
    slot = next(s for s in trends.series if s.subject == "standby_decommissioned")
    assert slot.fit is not None and slot.fit.slope_per_week == pytest.approx(60 * MIB, rel=1e-4)
