"""One truth per figure: the samples never contradict themselves, and the checker catches it
when they do (tests/consistency.py; the live catalogue servers run it on every report)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.consistency import contradictions, setting_values

SAMPLES = Path(__file__).resolve().parent.parent / "sample_outputs"


@pytest.mark.parametrize("scenario", ["demo", "demo-aurora"])
def test_samples_never_contradict_themselves(scenario: str) -> None:
    assert contradictions(SAMPLES / scenario) == []


def test_aurora_sample_sets_each_parameter_once_and_never_by_alter_system() -> None:
    out = SAMPLES / "demo-aurora"
    values = setting_values(json.loads((out / "report.json").read_text()), out)
    keep = {v.split(" (", 1)[0] for v in values["group:max_slot_wal_keep_size"]}
    assert keep == {"4096"}, values["group:max_slot_wal_keep_size"]
    for name in ("report.json", "report.md", "report.html", "remediation.sql"):
        assert "ALTER SYSTEM" not in (out / name).read_text()


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _second_keep_size(report: dict) -> None:
    finding = next(f for f in report["findings"] if f["code"] == "CDC005")
    finding["fix"]["steps"][0]["text"] = finding["fix"]["steps"][0]["text"].replace(
        "ParameterValue=4096", "ParameterValue=204800"
    )


def _unlogged_in_change_stream(report: dict) -> None:
    rows = report["estimates"]["change_stream"]["per_table"]
    rows.append({**rows[0], "table": "shop.session_cache"})


def _negative_size(report: dict) -> None:
    report["inventory"]["tables"][0]["heap_bytes"] = -8192


def _other_verdict(report: dict) -> None:
    report["verdict"] = "ready"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_second_keep_size, "group:max_slot_wal_keep_size is set to 2 values"),
        (_unlogged_in_change_stream, "change_stream.per_table counts shop.session_cache"),
        (_negative_size, "is a negative size (-8192)"),
        (_other_verdict, "report.md says NOT READY, report.json READY"),
    ],
)
def test_the_checker_finds_each_kind_of_contradiction(
    tmp_path: Path, change: Callable[[dict], None], expected: str
) -> None:
    out = tmp_path / "demo-aurora"
    shutil.copytree(SAMPLES / "demo-aurora", out)
    _edit_json(out / "report.json", change)
    found = contradictions(out)
    assert any(expected in line for line in found), found


def test_the_checker_finds_alter_system_on_aurora(tmp_path: Path) -> None:
    out = tmp_path / "demo-aurora"
    shutil.copytree(SAMPLES / "demo-aurora", out)
    with (out / "remediation.sql").open("a") as sql:
        sql.write("ALTER SYSTEM SET max_slot_wal_keep_size = '200GB';\n")
    found = contradictions(out)
    assert "remediation.sql offers ALTER SYSTEM on aurora-postgresql" in found
    assert any(line.startswith("max_slot_wal_keep_size is set to 2 values") for line in found)
