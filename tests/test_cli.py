"""The command-line contract: verbs, exit codes, one-line errors, nothing written half."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit.demo.localpg import LocalPostgres

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FACTS = ROOT / "sample_outputs" / "demo" / "facts.json"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


STAGES = {"connecting", "server", "settings", "tables", "slots", "role", "sampling", "done"}


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The error is one line on stderr; stage lines before it (no TTY) are allowed."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.removeprefix("cdc-preflight: ") not in STAGES]
    assert len(errors) == 1, result.stderr
    assert lines[-1] == errors[0]
    return errors[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_rules_list_text_and_json_name_every_rule() -> None:
    text = cli("rules", "list")
    assert text.returncode == 0
    listed = json.loads(cli("rules", "list", "--format", "json").stdout)
    codes = {entry["code"] for entry in listed}
    assert {"CDC001", "CDC101", "CDC201"} <= codes
    for code in codes:
        assert code in text.stdout


def test_rules_explain_prints_the_doc_and_unknown_code_is_a_usage_error() -> None:
    result = cli("rules", "explain", "CDC001")
    assert result.returncode == 0
    assert "## Why it matters for CDC" in result.stdout
    assert_one_line_error(cli("rules", "explain", "CDC999"), 2)


def test_unknown_profile_and_format_are_usage_errors(tmp_path: Path) -> None:
    bad_profile = cli("analyze", str(SAMPLE_FACTS), "--profile", "kafka", "--out", str(tmp_path))
    assert bad_profile.returncode == 2
    bad_format = cli("analyze", str(SAMPLE_FACTS), "--format", "docx", "--out", str(tmp_path))
    assert_one_line_error(bad_format, 2)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('{"hello": 1}', "no schema_version"),
        ('{"schema_version": 99}', "newer than this cdc-preflight"),
        ('{"schema_version": 1, "tool_version": "x"}', "does not match the facts schema"),
    ],
)
def test_corrupt_facts_file_exits_3_with_one_line(
    tmp_path: Path, content: str, expected: str
) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(content)
    out = tmp_path / "out"
    line = assert_one_line_error(cli("analyze", str(facts), "--out", str(out)), 3)
    assert expected in line
    assert not out.exists()


def test_analyze_exit_code_follows_fail_on(tmp_path: Path) -> None:
    """The demo facts have a critical finding: exit 1 by default, 0 with --fail-on never."""
    default = cli("analyze", str(SAMPLE_FACTS), "--out", str(tmp_path / "a"), "--format", "json")
    assert default.returncode == 1, default.stderr
    never = cli(
        "analyze",
        str(SAMPLE_FACTS),
        "--out",
        str(tmp_path / "b"),
        "--format",
        "json",
        "--fail-on",
        "never",
    )
    assert never.returncode == 0, never.stderr


def test_unreachable_server_exits_3_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli(
        "audit",
        "--dsn",
        f"host=127.0.0.1 port={closed_port()} connect_timeout=3",
        "--out",
        str(out),
        "--sample-seconds",
        "0",
    )
    line = assert_one_line_error(result, 3)
    assert "cannot audit" in line
    assert not out.exists()


@pytest.mark.pg
def test_wrong_password_exits_3_without_echoing_it(
    pg_server: LocalPostgres, tmp_path: Path
) -> None:
    secret = "s3cr3t-Pa55-word"
    dsn = pg_server.conninfo(password=secret)
    result = cli("audit", "--dsn", dsn, "--out", str(tmp_path / "out"), "--sample-seconds", "0")
    line = assert_one_line_error(result, 3)
    assert secret not in result.stderr + result.stdout
    assert "password" in line.lower() or "authentication" in line.lower()


@pytest.mark.pg
def test_missing_database_exits_3(pg_server: LocalPostgres, tmp_path: Path) -> None:
    dsn = pg_server.conninfo(dbname="no_such_db")
    result = cli("audit", "--dsn", dsn, "--out", str(tmp_path / "out"), "--sample-seconds", "0")
    assert "no_such_db" in assert_one_line_error(result, 3)


@pytest.mark.pg
def test_dsn_from_libpq_environment(
    pg_server: LocalPostgres, fresh_db: str, tmp_path: Path
) -> None:
    """Without --dsn, PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE apply; the password never shows."""
    env = {
        "PGHOST": "127.0.0.1",
        "PGPORT": str(pg_server.port),
        "PGUSER": "postgres",
        "PGPASSWORD": "postgres",
        "PGDATABASE": fresh_db,
    }
    out = tmp_path / "out"
    result = cli("collect", "-o", str(out / "facts.json"), "--sample-seconds", "0", env=env)
    assert result.returncode == 0, result.stderr
    facts = json.loads((out / "facts.json").read_text())
    assert facts["target"]["dbname"] == fresh_db
    assert facts["target"]["port"] == pg_server.port


def test_tables_scope_flag_and_unknown_publication(tmp_path: Path) -> None:
    scoped = cli(
        "analyze",
        str(SAMPLE_FACTS),
        "--out",
        str(tmp_path / "a"),
        "--format",
        "json",
        "--tables",
        "shop.*,!shop.carts",
        "--fail-on",
        "never",
    )
    assert scoped.returncode == 0, scoped.stderr
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["scope"]["description"] == "tables matching shop.*, !shop.carts"
    assert "shop.carts" not in {f["subject"] for f in report["findings"]}
    missing = cli(
        "analyze", str(SAMPLE_FACTS), "--out", str(tmp_path / "b"), "--publication", "nope"
    )
    assert "publication 'nope' does not exist" in assert_one_line_error(missing, 2)


HELP_COMMANDS = [
    [],
    ["audit"],
    ["collect"],
    ["analyze"],
    ["demo"],
    ["fleet"],
    ["rules"],
    ["rules", "list"],
]


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_help_prints_bracketed_words_and_every_option_has_help(command: list[str]) -> None:
    """Rich markup would eat [tool.cdc-preflight] and [scope]; flags show no <bool> metavar."""
    from typer.testing import CliRunner

    from audit.cli import app

    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "<bool>" not in text
    if command in (["audit"], ["analyze"]):
        assert "a pyproject.toml with [tool.cdc-preflight]." in text
        assert "Overrides [scope] in the config." in text


def test_every_option_of_every_command_has_help() -> None:
    import typer

    from audit.cli import app

    def commands(command: Any, path: str) -> Iterator[tuple[str, Any]]:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from commands(sub, f"{path} {name}")

    missing = [
        f"{path} {param.opts[0]}"
        for path, command in commands(typer.main.get_command(app), "cdc-preflight")
        for param in command.params
        if param.param_type_name == "option" and not getattr(param, "help", None)
    ]
    assert not missing


def test_demo_interval_has_help() -> None:
    from typer.testing import CliRunner

    from audit.cli import app

    text = CliRunner().invoke(app, ["demo", "--help"], terminal_width=200).output
    assert "Seconds between samples" in text


@pytest.mark.pg
def test_collect_takes_out_like_the_other_commands(
    pg_server: LocalPostgres, fresh_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "facts-dir"
    dsn = pg_server.conninfo(fresh_db)
    result = cli("collect", "--dsn", dsn, "--out", str(out), "--sample-seconds", "0")
    assert result.returncode == 0, result.stderr
    assert (out / "facts.json").is_file()
    both = cli("collect", "--dsn", dsn, "--out", str(out), "-o", str(tmp_path / "f.json"))
    assert both.returncode == 2
    assert "one of --out DIR" in assert_one_line_error(both, 2)
