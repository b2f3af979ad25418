"""The row-change WAL model on a real server whose audit role may not read WAL positions:
its range contains the WAL the same workload really writes under wal_level=logical."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bench.no_lsn_accuracy import WORKLOADS, Workload, run_server

pytestmark = pytest.mark.pg


def test_the_no_lsn_range_contains_the_measured_logical_wal() -> None:
    hot = next(w for w in WORKLOADS if w.name == "hot_upd")
    with tempfile.TemporaryDirectory(prefix="cdcnolsn-") as tmp:  # traversable by the server
        _check(hot, Path(tmp))


def _check(hot: Workload, tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    scripts.chmod(0o755)
    assert hot.script is not None
    (scripts / "hot_upd.sql").write_text(hot.script)
    (scripts / "hot_upd.sql").chmod(0o644)
    replica = run_server("replica", 15, [hot], 0.1, scripts, tmp_path)["hot_upd"]
    logical = run_server("logical", 15, [hot], 0.1, scripts, tmp_path)["hot_upd"]
    modelled, truth = replica["no_lsn"], logical["lsn_bytes"]
    assert modelled["method"] == "row_changes"
    assert any("not measured" in a for a in modelled["assumptions"])
    assert modelled["low"] <= truth <= modelled["high"], (modelled, truth)
    assert modelled["low"] < modelled["expected"] < modelled["high"]
