"""The weekly-check command line, end to end in subprocesses: analyze --history, --baseline,
--fail-on-new exit codes, --keep-weeks, history list and diff, and their usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from history_support import SAMPLE_FACTS

pytestmark = pytest.mark.slow


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
        timeout=300,
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def week(tmp_path: Path, n: int, *, drop_key: str | None = None) -> Path:
    """The demo facts as collected ``n`` weeks later, optionally with a table's key dropped."""
    facts: dict[str, Any] = json.loads(SAMPLE_FACTS.read_text())
    when = datetime.fromisoformat(facts["collected_at"]) + timedelta(weeks=n)
    facts["collected_at"] = when.isoformat()
    for table in facts["tables"]:
        if table["qualified_name"] == drop_key:
            table["primary_key"] = None
            table["unique_candidates"] = []
    path = tmp_path / f"week{n}.json"
    path.write_text(json.dumps(facts))
    return path


def report(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "report.json").read_text())
    return document


def test_weekly_runs_alert_on_regressions_not_on_known_debt(tmp_path: Path) -> None:
    history = tmp_path / "history.db"
    first = cli(
        "analyze", week(tmp_path, 0), "--out", tmp_path / "w0", "--format", "json",
        "--history", history, "--baseline", "last", "--fail-on-new", "critical",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr  # criticals, all known: nothing new on week 0
    assert "no earlier run of this target" in first.stdout
    assert report(tmp_path / "w0")["changes"] == {
        "baseline": None, "new": [], "resolved": [], "changed": [], "metrics": [],
    }  # fmt: skip

    second = cli(
        "analyze", week(tmp_path, 1, drop_key="shop.customers"), "--out", tmp_path / "w1",
        "--format", "json,md,html", "--history", history, "--baseline", "last",
        "--fail-on-new", "critical",
    )  # fmt: skip
    assert second.returncode == 1, second.stderr
    changes = report(tmp_path / "w1")["changes"]
    assert changes["baseline"]["report_id"] == report(tmp_path / "w0")["report_id"]
    assert ("CDC101", "shop.customers") in {(f["code"], f["subject"]) for f in changes["new"]}
    assert any(m["name"] == "wal_now_bytes_per_s" for m in changes["metrics"])
    markdown = (tmp_path / "w1" / "report.md").read_text()
    assert "### Changes since 2026-12-02" in markdown and "shop.customers" in markdown
    assert 'id="changes"' in (tmp_path / "w1" / "report.html").read_text()

    third = cli(
        "analyze", week(tmp_path, 2, drop_key="shop.customers"), "--out", tmp_path / "w2",
        "--format", "json", "--history", history, "--baseline", "last",
        "--fail-on-new", "critical", "--keep-weeks", "1",
    )  # fmt: skip
    assert third.returncode == 0, third.stderr  # the same debt as last week: no alert
    assert report(tmp_path / "w2")["changes"]["new"] == []
    assert "1 run(s) older than --keep-weeks removed" in third.stdout
    plain = cli("analyze", week(tmp_path, 2), "--out", tmp_path / "plain", "--format", "json")
    assert plain.returncode == 1  # --fail-on critical (the default) still sees the debt

    listed = json.loads(cli("history", "list", "--history", history, "--format", "json").stdout)
    assert [r["report_id"] for r in listed] == [
        report(tmp_path / w)["report_id"] for w in ("w2", "w1")
    ]
    target = listed[0]["target_name"]
    text = cli("history", "list", "--history", history, "--target", target)
    assert text.returncode == 0 and len(text.stdout.splitlines()) == 2
    assert "not_ready" in text.stdout and listed[0]["target_id"] in text.stdout


def test_diff_of_two_output_directories_and_its_exit_code(tmp_path: Path) -> None:
    for n, key in ((0, None), (1, "shop.customers")):
        result = cli("analyze", week(tmp_path, n, drop_key=key), "--out", tmp_path / f"w{n}",
                     "--format", "json")  # fmt: skip
        assert result.returncode == 1
    as_json = cli("diff", tmp_path / "w0", tmp_path / "w1" / "report.json", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    changes = json.loads(as_json.stdout)
    new = [(f["code"], f["subject"], f["severity"]) for f in changes["new"]]
    assert ("CDC101", "shop.customers", "critical") in new
    assert changes["resolved"] == []
    text = cli("diff", tmp_path / "w0", tmp_path / "w1", "--fail-on-new", "critical")
    assert text.returncode == 1
    assert f"New findings: {len(new)}" in text.stdout and "CDC101  shop.customers" in text.stdout
    back = cli("diff", tmp_path / "w1", tmp_path / "w0", "--fail-on-new", "low", "--format", "md")
    assert back.returncode == 0  # going back only resolves
    assert "#### Resolved findings" in back.stdout and "| critical | CDC101 |" in back.stdout
    error = one_line_error(cli("diff", tmp_path / "w0", tmp_path / "nope"), 2)
    assert "nope: no such file or directory" in error
    error = one_line_error(cli("diff", tmp_path / "w0", SAMPLE_FACTS), 2)
    assert "looks like a facts.json" in error


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--fail-on-new", "high"], "--fail-on-new needs --baseline"),
        (["--baseline", "last"], "--baseline last needs --history"),
        (["--keep-weeks", "4"], "--keep-weeks needs --history"),
        (["--history", "mysql://db/x"], "not a store"),
        (["--baseline", "missing-dir"], "missing-dir: no such file or directory"),
        (
            ["--baseline", "DEMO", "--fail-on-new", "high", "--fail-on", "high"],
            "--fail-on and --fail-on-new exclude each other",
        ),
    ],
)
def test_history_options_that_cannot_mean_what_was_typed_fail_before_any_work(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    args = [str(SAMPLE_FACTS.parent) if a == "DEMO" else a for a in args]
    out = tmp_path / "out"
    error = one_line_error(cli("analyze", SAMPLE_FACTS, "--out", out, *args), 2)
    assert expected in error
    assert not out.exists()


def test_history_list_of_a_missing_file_or_unknown_target_is_a_usage_error(
    tmp_path: Path,
) -> None:
    history = tmp_path / "h.db"
    error = one_line_error(cli("history", "list", "--history", history), 2)
    assert "no such history file" in error
    assert not history.exists()
    stored = cli("analyze", SAMPLE_FACTS, "--out", tmp_path / "o", "--format", "json",
                 "--history", history)  # fmt: skip
    assert "stored in" in stored.stdout
    again = cli("analyze", SAMPLE_FACTS, "--out", tmp_path / "o", "--format", "json",
                "--history", history)  # fmt: skip
    assert "already in" in again.stdout
    name = json.loads(cli("history", "list", "--history", history, "--format", "json").stdout)[0]
    typo = name["target_name"].replace("shop", "shpo")
    error = one_line_error(cli("history", "list", "--history", history, "--target", typo), 2)
    assert f"did you mean {name['target_name']}?" in error


@pytest.mark.pg
def test_audits_of_a_live_server_are_one_target_by_system_identifier(
    server_pool: Any, make_db: Any, tmp_path: Path
) -> None:
    """Two audits of one database, the second through another address of the same server,
    into a PostgreSQL history: one target, and the second run's baseline is the first."""
    server = server_pool.get(18, {"wal_level": "replica"})
    audited, store = make_db(server), make_db(server)
    with server.connect(audited) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    history = f"postgresql://postgres:{server.superuser_password}@127.0.0.1:{server.port}/{store}"
    runs = []
    for n, host in enumerate(("127.0.0.1", "localhost")):
        with server.connect(audited) as conn:
            conn.execute(f"CREATE TABLE nokey{n} (v text)")  # a new finding each week
        out = tmp_path / f"run{n}"
        dsn = server.conninfo(audited).replace("host=127.0.0.1", f"host={host}")
        result = cli("audit", "--dsn", dsn, "--out", out, "--sample-seconds", "0", "--format",
                     "json", "--history", history, "--baseline", "last",
                     "--fail-on-new", "medium")  # fmt: skip
        assert result.returncode == (0 if n == 0 else 1), result.stderr
        assert f":{server.superuser_password}@" not in result.stdout + result.stderr
        assert ":***@127.0.0.1" in result.stdout  # the history URL, masked
        runs.append(report(out))
    assert {f["subject"] for f in runs[1]["changes"]["new"]} == {"public.nokey1"}, runs[1][
        "changes"
    ]
    assert runs[1]["changes"]["baseline"]["report_id"] == runs[0]["report_id"]
    listed = json.loads(cli("history", "list", "--history", history, "--format", "json").stdout)
    assert len(listed) == 2 and {r["target_id"] for r in listed} == {
        f"pg:{_system_identifier(server)}/{audited}"
    }


def _system_identifier(server: Any) -> str:
    with server.connect() as conn:
        row = conn.execute("SELECT system_identifier::text FROM pg_control_system()").fetchone()
    return str(row[0])


def test_an_unreachable_postgresql_history_exits_3_before_any_work(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    url = f"postgresql://cdc:Secret-Pw-123@127.0.0.1:{port}/history?connect_timeout=3"
    error = one_line_error(cli("analyze", SAMPLE_FACTS, "--out", out, "--history", url), 3)
    assert "cannot open history postgresql://cdc:***@127.0.0.1" in error
    assert "Secret-Pw-123" not in error
    assert not out.exists()
