"""sample_outputs/ re-renders byte for byte from its facts.json; stale samples fail here.

Regenerate after a deliberate change with ``CDC_PREFLIGHT_UPDATE_SAMPLES=1 pytest
tests/test_sample_outputs.py`` (re-renders from the committed facts), or run
``cdc-preflight demo --out sample_outputs/demo`` to collect new facts as well.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audit.config import load_config
from audit.engine import get_profile
from audit.facts import read_facts
from audit.facts.io import facts_sha256
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
