"""One run per output directory, whole or not at all (audit.outdir through the real CLI)."""

from __future__ import annotations

import hashlib
import json
import resource
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults_support import SAMPLE_FACTS, assert_one_line, cli

from audit.outdir import OutputSet


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _names(path: Path) -> set[str]:
    return {p.name for p in path.iterdir()}


def test_two_runs_with_different_formats_leave_one_whole_set(tmp_path: Path) -> None:
    out = tmp_path / "report"
    first = cli("analyze", str(SAMPLE_FACTS), "--out", str(out), "--format", "md,json")
    assert first.returncode == 1, first.stderr
    assert {"facts.json", "report.md", "report.json", "remediation.sql"} <= _names(out)
    second = cli("analyze", str(SAMPLE_FACTS), "--out", str(out), "--format", "json")
    assert second.returncode == 1, second.stderr
    assert _names(out) == {"facts.json", "report.json"}
    report = json.loads((out / "report.json").read_text())
    assert report["facts_sha256"] == _sha(out / "facts.json")
    assert "facts" in second.stdout and str(out / "facts.json") in second.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report.new-")]


def test_a_second_run_into_a_locked_out_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "report"
    holder = OutputSet(out).open()  # another run, in this process
    try:
        result = cli("analyze", str(SAMPLE_FACTS), "--out", str(out), "--format", "json")
    finally:
        holder.close()
    assert result.returncode == 3
    line = assert_one_line(result.stderr)
    assert "another cdc-preflight run" in line and str(out) in line
    assert not out.exists()


@pytest.mark.parametrize("kind", ["foreign file", "a file"])
def test_an_out_that_is_not_ours_is_a_usage_error(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "report"
    if kind == "a file":
        out.write_text("x")
    else:
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    result = cli("analyze", str(SAMPLE_FACTS), "--out", str(out), "--format", "json")
    assert result.returncode == 2
    line = assert_one_line(result.stderr)
    assert ("notes.txt" in line) if kind == "foreign file" else ("not a directory" in line)
    assert out.is_file() or _names(out) == {"notes.txt"}


def test_an_unwritable_out_fails_before_connecting(tmp_path: Path) -> None:
    """192.0.2.1 (TEST-NET) would take the whole connect_timeout: the --out error comes first."""
    result = cli(
        "audit",
        "--dsn",
        "host=192.0.2.1 connect_timeout=30",
        "--out",
        "/proc/cdc-preflight-report",
        "--sample-seconds",
        "0",
        timeout=20,
    )
    assert result.returncode == 3
    assert "/proc" in assert_one_line(result.stderr)
    assert "connecting" not in result.stderr


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, dict[str, object]]]:
    """A 200 kB tmpfs when mounting is permitted; else a 100 kB file size limit (EFBIG)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    if mounted:
        yield mount, {}
        subprocess.run(["umount", str(mount)], check=False)
        return

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    yield mount, {"preexec_fn": limit}


def test_a_full_disk_leaves_the_earlier_set_intact(
    small_disk: tuple[Path, dict[str, object]],
) -> None:
    disk, limits = small_disk
    out = disk / "report"
    first = cli("analyze", str(SAMPLE_FACTS), "--out", str(out), "--format", "json")
    assert first.returncode == 1, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    second = cli("analyze", str(SAMPLE_FACTS), "--out", str(out), "--title", "new", **limits)
    assert second.returncode == 3, second.stderr
    line = assert_one_line(second.stderr)
    assert f"{out} is unchanged" in line and "partial new set is in" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p for p in disk.iterdir() if p.name.startswith("report.partial-")]
    assert not [p for p in disk.iterdir() if p.name.startswith(".report.new-")]
