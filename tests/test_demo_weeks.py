"""``demo --weeks``: its usage errors and what it may replace in --out (no server needed; the
live run is the sample, ``sample_outputs/demo-weeks``, checked by test_sample_outputs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.demo.weekly_run import WeeklyDemoError, prepare


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--weeks", "1"], "--weeks"),
        (["--weeks", "9"], "--weeks"),
        (["--weeks", "3", "--aurora"], "--weeks and --aurora exclude each other"),
    ],
)
def test_weeks_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "o").exists()


def test_prepare_replaces_only_what_a_weekly_demo_wrote(tmp_path: Path) -> None:
    out = tmp_path / "weeks"
    prepare(out)  # new
    (out / "week-1").mkdir()
    (out / "week-1" / "report.json").write_text("{}")
    (out / "history.sqlite").write_bytes(b"old")
    (out / ".week-1.lock").write_text("1")
    prepare(out)  # an earlier weekly demo's: started afresh
    assert not (out / "history.sqlite").exists() and not (out / "week-1").exists()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(WeeklyDemoError, match=r"notes\.txt"):
        prepare(out)
    assert (out / "notes.txt").read_text() == "mine"
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(WeeklyDemoError, match="is a file"):
        prepare(file)
