"""The second process that writes report.json, tables.csv and remediation.sql: a signal while it
runs ends the run as anywhere else (exit 130/143, one line, nothing written), and it is gone.

The facts are large enough (20,000 synthetic tables) for the writing to take a second or more;
the signal is sent once the second process exists."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest
from faults_support import Running, assert_one_line

from bench.render_bench import synthetic_facts

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


@pytest.fixture(scope="module")
def large_facts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from audit.facts import dump_facts

    path = tmp_path_factory.mktemp("large") / "facts.json"
    path.write_text(dump_facts(synthetic_facts(20_000)))
    return path


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_second_process_writes(
    large_facts: Path, tmp_path: Path, signum: int, code: int
) -> None:
    out = tmp_path / "report"
    run = Running("analyze", str(large_facts), "--out", str(out), "--format", "html,json,md")
    deadline = time.monotonic() + 120
    children: list[int] = []
    while not children and run.proc.poll() is None and time.monotonic() < deadline:
        children = _children(run.proc.pid)
        time.sleep(0.02)
    assert children, "the run ended without a second process"
    run.signal(signum)
    run.proc.wait(timeout=120)
    left = [child for child in children if _alive(child)]  # as the run ends, not later
    exit_code, _, stderr = run.finish()
    assert not left, "the second process outlived the run"
    assert exit_code == code, stderr
    line = assert_one_line(stderr)
    assert "during writing the report" in line and f"{out} is unchanged" in line
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report.new-")]
