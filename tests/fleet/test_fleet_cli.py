"""`cdc-preflight fleet` usage errors: one line on stderr, exit 2, before any target runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def fleet(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", "fleet", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def fleet_file(tmp_path: Path) -> Path:
    path = tmp_path / "FLEET.toml"
    path.write_text('[[targets]]\nname = "a"\ndsn = "host=127.0.0.1 port=1 dbname=a"\n')
    return path


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--shard", "4/4"], "--shard 4/4: I counts from 0 to N-1 (3)"),
        (["--fail-on-new", "high"], "--fail-on-new needs --history LOCATION"),
        (["--fail-on", "high", "--fail-on-new", "high"], "--fail-on and --fail-on-new exclude"),
        (["--history", "ftp://x/y"], "--history ftp://...: not a store"),
        (["--concurrency", "0"], "Invalid value for '--concurrency'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    fleet_file: Path, tmp_path: Path, extra: list[str], expected: str
) -> None:
    out = tmp_path / "out"
    result = fleet(fleet_file, "--out", out, *extra)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert not (out / "logs").exists()  # no target was started


def test_a_bad_fleet_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "FLEET.toml"
    path.write_text('[[targets]]\nname = "a"\ndsn = "postgresql://u:hunter2@h/db"\n')
    result = fleet(path, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "dsn: holds a password; secrets never in the file" in result.stderr
    assert "hunter2" not in result.stderr


def test_a_shard_with_no_target_writes_an_empty_summary(fleet_file: Path, tmp_path: Path) -> None:
    """Shard 1/2 of a one-target fleet: the target is in shard 0 (pinned by the hash)."""
    out = tmp_path / "out"
    result = fleet(fleet_file, "--out", out, "--shard", "1/2")
    assert result.returncode == 0, result.stderr
    assert "Fleet: 0 target(s) (shard 1/2: 0 of 1)" in result.stdout
    assert (out / "fleet.json").is_file() and (out / "fleet.html").is_file()
