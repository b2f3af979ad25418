"""Bounds on every input: the sampling window, and facts files that are not what they claim."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from faults_support import SAMPLE_FACTS, assert_one_line, cli

from audit.cli import main
from audit.collect.sampler import SampleWindow, sample_count, sample_offsets
from audit.facts import WalSample
from audit.facts.io import MAX_DEPTH, FactsFileError, parse_facts


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        ("audit", "--sample-seconds", "inf"),
        ("audit", "--sample-seconds", "nan"),
        ("audit", "--sample-seconds", "999999999"),
        ("collect", "--sample-seconds", "Infinity"),
        ("audit", "--interval", "0"),
        ("demo", "--interval", "-inf"),
        ("demo", "--sample-seconds", "inf"),
    ],
)
def test_unbounded_window_is_a_usage_error(
    command: str,
    option: str,
    value: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    keep_signal_handlers: None,
) -> None:
    """Before any connection (the DSN points nowhere): one line about the option, exit 2."""
    dsn = [] if command == "demo" else ["--dsn", "host=192.0.2.1"]
    with pytest.raises(SystemExit) as exited:
        main([command, *dsn, "--out", str(tmp_path / "o"), option, value])
    assert exited.value.code == 2
    line = assert_one_line(capsys.readouterr().err)
    assert option in line
    assert not (tmp_path / "o").exists()


@pytest.fixture
def keep_signal_handlers() -> Iterator[None]:
    """main() installs its SIGINT/SIGTERM handlers; pytest gets its own back."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def test_the_sampler_keeps_a_bounded_window_and_loses_no_change() -> None:
    """A window of 100,001 samples keeps at most limit + 1; every row change is still counted."""
    window = SampleWindow(limit=64)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    taken = 100_001
    for i in range(taken):
        changes = None if i == 0 else {"shop.orders": [1, 2, 0, 0]}
        window.add(WalSample(at=start + timedelta(seconds=i), table_changes=changes))
        assert len(window.samples) <= 65
    kept = window.finish()
    assert len(kept) <= 65
    assert kept[0].at == start
    assert kept[-1].at == start + timedelta(seconds=taken - 1)
    assert [s.at for s in kept] == sorted({s.at for s in kept})
    inserted = sum((s.table_changes or {})["shop.orders"][0] for s in kept[1:])
    assert inserted == taken - 1
    assert window.stride > 1


def test_sample_offsets_are_generated_not_listed() -> None:
    offsets = sample_offsets(86_400, 0.2)
    assert next(offsets) == 0
    assert sample_count(86_400, 0.2) == 432_001
    with pytest.raises(ValueError, match="finite"):
        next(sample_offsets(float("inf"), 1))


def _facts_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "facts.json"
    path.write_text(text)
    return path


DEMO = json.loads(SAMPLE_FACTS.read_text())


def _with(**changes: object) -> str:
    return json.dumps({**DEMO, **changes})


def _replace(interval: str) -> str:
    return SAMPLE_FACTS.read_text().replace('"interval_seconds": 2.0', interval)


def _nested(depth: int) -> object:
    return json.loads('{"b":' * depth + "1" + "}" * depth)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_with(schema_version=True), "not an integer: true"),
        (_with(schema_version="1"), 'not an integer: "1"'),
        (_with(schema_version=0), "unknown schema_version 0"),
        (_with(schema_version=2), "newer than this cdc-preflight"),
        (_replace('"interval_seconds": NaN'), "NaN"),
        (_replace('"interval_seconds": 1e999'), "1e999"),
        (_replace('"interval_seconds": -Infinity'), "-Infinity"),
        ("[" * 100_000 + "]" * 100_000, "nests deeper"),
        (_with(extra={"a": _nested(MAX_DEPTH)}), "nests deeper"),
        ('{"schema_version": 1, "n": ' + "9" * 5000 + "}", "not strict JSON"),
    ],
)  # fmt: skip
def test_facts_that_are_not_strict_are_refused_in_one_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(FactsFileError, match=r"facts\.json") as caught:
        parse_facts(text, "facts.json")
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_analyze_dev_zero_fails_fast(tmp_path: Path) -> None:
    result = cli("analyze", "/dev/zero", "--out", str(tmp_path / "o"), timeout=20)
    assert result.returncode == 3
    assert "not a regular file" in assert_one_line(result.stderr)


def test_a_facts_file_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(3 * 1024 * 1024)  # sparse: 3 MB of zeros
    result = cli(
        "analyze", str(big), "--out", str(tmp_path / "o"), env={"CDC_PREFLIGHT_MAX_FACTS_MB": "2"}
    )
    assert result.returncode == 3
    assert "more than the 2 MB" in assert_one_line(result.stderr)


def test_a_nan_in_facts_exits_3_through_the_cli(tmp_path: Path) -> None:
    text = _replace('"interval_seconds": NaN')
    path = _facts_file(tmp_path, text)
    result = cli("analyze", str(path), "--out", str(tmp_path / "o"))
    assert result.returncode == 3
    assert "NaN is not a finite number" in assert_one_line(result.stderr)
