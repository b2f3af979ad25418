"""--format junit,prom on the command line: the files land in --out with the rest of the set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from junitparser import JUnitXml
from prometheus_client.parser import text_string_to_metric_families

from audit.demo.localpg import LocalPostgres

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FACTS = ROOT / "sample_outputs" / "demo" / "facts.json"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
        timeout=300,
    )


def test_analyze_writes_junit_and_prom_beside_report_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli(
        "analyze", str(SAMPLE_FACTS), "--out", str(out), "--format", "json,junit,prom",
        "--fail-on", "high",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # the demo has findings at or above high
    assert sorted(p.name for p in out.iterdir()) == [
        "facts.json",
        "junit.xml",
        "metrics.prom",
        "report.json",
    ]
    assert "junit  " in result.stdout and "prom   " in result.stdout
    suite = next(iter(JUnitXml.fromfile(str(out / "junit.xml"))))
    assert suite.failures > 0
    assert {p.name: p.value for p in suite.properties()}["fail_on"] == "high"
    families = {
        f.name: f for f in text_string_to_metric_families((out / "metrics.prom").read_text())
    }
    verdict = {s.labels["verdict"]: s.value for s in families["cdc_preflight_verdict"].samples}
    assert verdict["not_ready"] == 1


def test_a_second_run_replaces_the_files_and_a_typo_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for _ in range(2):  # --out holding junit.xml and metrics.prom is a set cdc-preflight wrote
        result = cli("analyze", str(SAMPLE_FACTS), "--out", str(out), "--format", "prom")
        assert result.returncode == 1, result.stderr
    typo = cli("analyze", str(SAMPLE_FACTS), "--out", str(tmp_path / "x"), "--format", "prometheus")
    for bad in ("env", "9env=prod", "team-name=x", "env="):
        label = cli("collect", "-o", str(tmp_path / "f.json"), "--label", bad)
        assert label.returncode == 2 and "--label" in label.stderr, (bad, label.stderr)
    assert typo.returncode == 2
    assert "choose from html,pdf,json,md,junit,prom" in typo.stderr


def test_a_live_audit_reports_its_duration_and_sampling_window(
    pg_server: LocalPostgres, fresh_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    conninfo = pg_server.conninfo(fresh_db)
    result = cli(
        "audit", "--dsn", conninfo, "--out", str(out), "--sample-seconds", "1",
        "--interval", "0.5", "--no-read-probe", "--format", "prom,junit", "--fail-on", "never",
        "--label", "env=prod", "--label", "team=checkout",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # --label reaches the facts and every metric
    assert json.loads((out / "facts.json").read_text())["labels"] == {
        "env": "prod",
        "team": "checkout",
    }
    for family in text_string_to_metric_families((out / "metrics.prom").read_text()):
        for sample in family.samples:
            assert (sample.labels["env"], sample.labels["team"]) == ("prod", "checkout")
    families = {
        f.name: f.samples[0].value
        for f in text_string_to_metric_families((out / "metrics.prom").read_text())
        if len(f.samples) == 1
    }
    window = families["cdc_preflight_sampling_window_seconds"]
    assert 0.9 <= window < families["cdc_preflight_audit_duration_seconds"] < 120
    suite = next(iter(JUnitXml.fromfile(str(out / "junit.xml"))))
    assert suite.failures == 0  # --fail-on never
    assert 0.9 <= suite.time < 120
