"""Ctrl-C and SIGTERM at every stage: said on the terminal and in every output, exit 130/143.

An interrupted sampling window still gives a report, marked partial everywhere; it never
replaces an earlier complete set. An interrupt anywhere else writes nothing. A second signal
ends the run at once.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from faults_support import SAMPLE_FACTS, Running, TableLock, assert_one_line, cli

from audit.demo.localpg import LocalPostgres

pytestmark = pytest.mark.pg


def _audit(server: LocalPostgres, db: str, out: Path, *extra: str) -> list[str]:
    return ["audit", "--dsn", server.conninfo(db), "--out", str(out), "--fail-on", "never", *extra]


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_start_up_is_one_line(tmp_path: Path, signum: int, code: int) -> None:
    run = Running("analyze", str(SAMPLE_FACTS), "--out", str(tmp_path / "o"))
    time.sleep(0.3)  # the command line is still loading
    run.signal(signum)
    exit_code, _, stderr = run.finish()
    assert exit_code == code, stderr
    assert f"interrupted by {signal.Signals(signum).name}" in assert_one_line(stderr)
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_sigint_during_sampling_keeps_the_earlier_set_and_marks_the_new_one(
    server: LocalPostgres, shop: str, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    complete = cli(*_audit(server, shop, out, "--sample-seconds", "0", "--format", "json"))
    assert complete.returncode == 0, complete.stderr
    earlier = (out / "facts.json").read_bytes()
    run = Running(
        *_audit(server, shop, out, "--sample-seconds", "60", "--interval", "0.5"),
        "--format", "json,md,html", "--no-read-probe",
    )  # fmt: skip
    run.wait_for("sampling")
    time.sleep(1.5)
    run.signal(signal.SIGINT)
    code, stdout, stderr = run.finish()
    assert code == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted by SIGINT after" in stderr and "keeps the earlier complete set" in stderr
    assert "PARTIAL" in stdout
    assert (out / "facts.json").read_bytes() == earlier
    (aside,) = tmp_path.glob("report.interrupted-*")
    report = json.loads((aside / "report.json").read_text())
    assert report["interrupted"]["stage"] == "sampling"
    assert report["interrupted"]["samples"] >= 2
    assert report["interrupted"]["requested_seconds"] == 60
    assert "**PARTIAL**" in (aside / "report.md").read_text()
    assert 'class="interrupted-banner"' in (aside / "report.html").read_text()
    facts = json.loads((aside / "facts.json").read_text())
    assert facts["sampling"]["interrupted"] is True


def test_sigterm_during_sampling_exits_143_with_a_partial_set(
    server: LocalPostgres, shop: str, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    run = Running(
        *_audit(server, shop, out, "--sample-seconds", "60", "--interval", "0.5"),
        "--format", "json",
    )  # fmt: skip
    run.wait_for("sampling")
    time.sleep(1.0)
    run.signal(signal.SIGTERM)
    code, _, stderr = run.finish()
    assert code == 143, stderr
    assert "interrupted by SIGTERM after" in stderr
    assert json.loads((out / "report.json").read_text())["interrupted"] is not None


def test_a_second_sigint_exits_at_once(server: LocalPostgres, shop: str, tmp_path: Path) -> None:
    run = Running(
        *_audit(server, shop, tmp_path / "o", "--sample-seconds", "60", "--interval", "0.5")
    )
    run.wait_for("sampling")
    time.sleep(0.5)
    run.signal(signal.SIGINT)
    time.sleep(0.1)
    run.signal(signal.SIGINT)
    second = time.monotonic()
    code, _, stderr = run.finish()
    assert time.monotonic() - second < 3
    assert code == 130, stderr
    assert "SIGINT again: stopping now" in stderr
    assert "Traceback" not in stderr


def test_sigint_during_collection_writes_nothing(
    server: LocalPostgres, shop: str, tmp_path: Path
) -> None:
    """The read probe waits for a locked table: the interrupt lands during collection."""
    out = tmp_path / "report"
    with TableLock(server, shop):
        run = Running(*_audit(server, shop, out, "--sample-seconds", "0", "--format", "json"))
        run.wait_for("read probe")
        run.signal(signal.SIGINT)
        code, _, stderr = run.finish()
    assert code == 130, stderr
    line = assert_one_line(stderr)
    assert "interrupted by SIGINT during read probe" in line and f"{out} is unchanged" in line
    assert not out.exists()
    assert not list(tmp_path.glob(".report.*-*"))


def test_sigint_while_rendering_writes_nothing(
    server: LocalPostgres, shop: str, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    run = Running(*_audit(server, shop, out, "--sample-seconds", "0", "--no-read-probe"))
    run.wait_for("done")
    time.sleep(0.2)  # analysis and the PDF take longer than this
    run.signal(signal.SIGINT)
    code, _, stderr = run.finish()
    assert code == 130, stderr
    line = assert_one_line(stderr)
    assert "during analysis" in line or "during writing the report" in line
    assert not out.exists()
