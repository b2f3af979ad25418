"""The built wheel carries the engine, rule pack and templates, and works without the repo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wheels = list(dist.glob("cdc_preflight-*.whl"))
    assert len(wheels) == 1
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheels[0]),
        ],
        check=True,
        capture_output=True,
    )
    return target


def _run_from(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Python with the wheel's files first on sys.path, outside the repository."""
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_wheel_holds_the_three_packages(wheel_install: Path) -> None:
    for package in ("audit", "rules", "report_templates"):
        assert (wheel_install / package / "__init__.py").is_file(), package
    assert list((wheel_install / "report_templates").glob("*.j2")), "templates missing"
    assert list((wheel_install / "audit" / "collect" / "sql").glob("*.sql")), "SQL missing"


def test_wheel_imports_resolve_inside_the_install(wheel_install: Path, tmp_path: Path) -> None:
    code = (
        "import audit, rules, report_templates;"
        "print(audit.__file__); print(rules.__file__); print(report_templates.__file__)"
    )
    result = _run_from(wheel_install, tmp_path, "-c", code)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.split():
        assert line.startswith(str(wheel_install)), line


def test_wheel_renders_a_report_from_sample_facts(wheel_install: Path, tmp_path: Path) -> None:
    facts = ROOT / "sample_outputs" / "demo" / "facts.json"
    result = _run_from(
        wheel_install,
        tmp_path,
        "-m",
        "audit",
        "analyze",
        str(facts),
        "--out",
        str(tmp_path / "out"),
        "--format",
        "html,json,md",
        "--fail-on",
        "never",
    )
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "report.html").read_text()
    assert "CDC001" in html
    rules = _run_from(wheel_install, tmp_path, "-m", "audit", "rules", "list")
    assert rules.returncode == 0 and "CDC101" in rules.stdout
