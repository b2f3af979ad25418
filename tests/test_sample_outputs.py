"""sample_outputs/ re-renders byte for byte from its facts.json; stale samples fail here.

Regenerate after a deliberate change with ``CDC_PREFLIGHT_UPDATE_SAMPLES=1 pytest
tests/test_sample_outputs.py`` (re-renders from the committed facts), or run
``cdc-preflight demo --out sample_outputs/demo`` to collect new facts as well.

``sample_outputs/demo-weeks`` is ``cdc-preflight demo --weeks 3 --out
sample_outputs/demo-weeks`` run from the repository root: each ``week-N`` re-renders from its
facts.json plus the committed ``history.sqlite`` (a copy: the test never opens the committed
file), dated as the history dates it, so its Changes and Trends sections are checked too. Its
fleet.* summary carries run times and is not re-rendered.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from audit.config import load_config
from audit.engine import get_profile
from audit.facts import read_facts
from audit.facts.io import facts_sha256
from audit.history.baseline import LAST, HistoryOptions, HistoryRun
from audit.history.identity import target_identity
from audit.history.store import open_store
from audit.pipeline import analyze
from audit.report import (
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_pdf,
    render_remediation_aws,
    render_remediation_sql,
)
from audit.report.model import Report

SAMPLES = Path(__file__).resolve().parents[1] / "sample_outputs"
SCENARIOS = sorted(p.parent.name for p in SAMPLES.glob("*/facts.json"))
UPDATE = os.environ.get("CDC_PREFLIGHT_UPDATE_SAMPLES") == "1"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_sample_report_is_current(scenario: str) -> None:
    folder = SAMPLES / scenario
    facts_path = folder / "facts.json"
    report = analyze(
        read_facts(facts_path),
        profile=get_profile("debezium"),
        config=load_config(config if (config := folder / "cdc-preflight.toml").exists() else None),
        facts_sha256=facts_sha256(facts_path),
    )
    _check(folder, report, scenario)


def _check(folder: Path, report: Report, scenario: str) -> None:
    rendered = {
        "report.json": render_json(report).encode(),
        "report.html": render_html(report).encode(),
        "report.md": render_markdown(report).encode(),
        "tables.csv": render_csv(report).encode(),
        "remediation.sql": render_remediation_sql(report).encode(),
    }
    aws_script = render_remediation_aws(report)
    if aws_script is not None:
        rendered["remediation-aws.sh"] = aws_script.encode()
    else:
        assert not (folder / "remediation-aws.sh").exists(), "stale remediation-aws.sh"
    if UPDATE:
        for name, data in rendered.items():
            (folder / name).write_bytes(data)
        (folder / "report.pdf").write_bytes(render_pdf(report))
    stale = [name for name, data in rendered.items() if (folder / name).read_bytes() != data]
    assert not stale, f"{scenario}: {stale} are stale; regenerate (see module docstring)"
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")


def test_there_are_both_demo_samples() -> None:
    assert {"demo", "demo-aurora"} <= set(SCENARIOS)
    assert (SAMPLES / WEEKS / "week-3" / "facts.json").is_file()


WEEKS = "demo-weeks"
#: How the weekly demo named its history (the reports quote it as the baseline's source).
WEEKS_HISTORY = f"sample_outputs/{WEEKS}/history.sqlite"


def test_weekly_demo_sample_is_current(tmp_path: Path) -> None:
    root = SAMPLES / WEEKS
    copy = tmp_path / "history.sqlite"
    shutil.copyfile(root / "history.sqlite", copy)
    weeks = sorted(root.glob("week-*/facts.json"), key=lambda p: int(p.parent.name[5:]))
    assert len(weeks) == 3
    with open_store(str(copy)) as store:
        dates = sorted(r.run_at for r in store.runs())
    assert len(dates) == len(weeks)
    for facts_path, run_at in zip(weeks, dates, strict=True):
        folder = facts_path.parent
        facts = read_facts(facts_path)
        report = analyze(
            facts,
            profile=get_profile("debezium"),
            config=load_config(folder / "cdc-preflight.toml"),
            facts_sha256=facts_sha256(facts_path),
        )
        history = HistoryRun(HistoryOptions(history=str(copy), baseline=LAST, run_at=run_at))
        assert history.store is not None
        history.store.location = WEEKS_HISTORY
        try:
            report = history.annotate(report, facts)
        finally:
            history.close()
        assert report.changes is not None
        assert target_identity(facts).id.startswith("pg:")
        if folder.name == "week-3":
            assert report.trends is not None and report.trends.simulated is not None
            assert len(report.trends.runs) == 3 and report.trends.extrapolations
        _check(folder, report, f"{WEEKS}/{folder.name}")
