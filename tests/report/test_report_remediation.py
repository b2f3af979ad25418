"""The remediation plan: change windows, step order, remediation.sql and remediation-aws.sh."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_factory import HOSTILE, build, finding

from audit.engine import Severity
from audit.report import render_html, render_remediation_aws, render_remediation_sql
from audit.report.model import ReportFinding
from audit.report.remediation import RULE_WINDOWS, Window, build_plan, classify, sql_lines

SELF_MANAGED_RESTART = (
    "ALTER SYSTEM SET max_wal_senders = 6;\n"
    "-- then restart the server: max_wal_senders takes effect only at server start"
)
AURORA_PARAMETER = (
    "# set rds.logical_replication = 1 in the custom DB cluster parameter group of the cluster\n"
    "aws rds modify-db-cluster-parameter-group --db-cluster-parameter-group-name "
    '<cluster-parameter-group> --parameters "ParameterName=rds.logical_replication,'
    'ParameterValue=1,ApplyMethod=pending-reboot"\n'
    "aws rds reboot-db-instance --db-instance-identifier orders-1  # static: reboot the writer"
)


def _with_fix(code: str, subject: str, fix: str | None, **kw: object) -> ReportFinding:
    return finding(code, subject, **kw).model_copy(update={"fix": fix})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "fix", "window"),
    [
        ("CDC001", "ALTER SYSTEM SET wal_level = logical;", Window.RESTART),
        ("CDC002", SELF_MANAGED_RESTART, Window.RESTART),
        ("CDC003", SELF_MANAGED_RESTART, Window.RESTART),
        ("CDC402", AURORA_PARAMETER, Window.RESTART),
        ("CDC403", "aws rds reboot-db-instance --db-instance-identifier w", Window.RESTART),
        ("CDC101", "ALTER TABLE t REPLICA IDENTITY FULL;", Window.COORDINATION),
        ("CDC103", "ALTER TABLE t SET LOGGED;", Window.COORDINATION),
        (
            "CDC005",
            "ALTER SYSTEM SET max_slot_wal_keep_size = '10GB';\nSELECT pg_reload_conf();",
            Window.ONLINE,
        ),
        ("CDC204", "SELECT pg_drop_replication_slot('s');", Window.ONLINE),
        # not in the table: decided by the fix text
        ("CDC004", "restart the server (for example pg_ctl restart): x is staged", Window.RESTART),
        ("CDC004", "SELECT pg_reload_conf();", Window.ONLINE),
        ("CDC999", "ALTER TABLE t ADD PRIMARY KEY (id);", Window.COORDINATION),
        ("CDC998", "aws rds reboot-db-instance --db-instance-identifier r", Window.RESTART),
        # the more disruptive window wins: a table change that also needs a restart
        (
            "CDC101",
            "ALTER TABLE t REPLICA IDENTITY FULL;\n-- then restart the server",
            Window.RESTART,
        ),
        # "restart the consumer" is not a server restart
        ("CDC408", "-- restart or fix the consumer of the top slot", Window.ONLINE),
    ],
)
def test_classify(code: str, fix: str, window: Window) -> None:
    assert classify(code, fix)[0] is window


def test_every_mapped_rule_says_why() -> None:
    for code, (window, why) in RULE_WINDOWS.items():
        assert re.fullmatch(r"CDC\d{3}", code) and isinstance(window, Window) and why


def test_plan_orders_windows_then_severity_and_leaves_out_waived_and_fixless() -> None:
    findings = [
        finding("CDC101", "public.b"),
        finding("CDC101", "public.a", severity=Severity.MEDIUM),
        finding("CDC001", "setting:wal_level"),
        finding("CDC301", "slot_x"),  # SELECT pg_drop_replication_slot: online
        finding("CDC102", "public.w", waived=True, waiver_reason="ok"),
        _with_fix("CDC203", "public.none", None),
    ]
    plan = build_plan(build(findings))
    assert [(s.number, s.window, s.code) for s in plan.steps] == [
        (1, Window.ONLINE, "CDC301"),
        (2, Window.RESTART, "CDC001"),
        (3, Window.COORDINATION, "CDC101"),
    ]
    assert [a.subject for a in plan.steps[2].actions] == ["public.b", "public.a"]
    assert plan.waived == 1
    assert [f.subject for f in plan.without_fix] == ["public.none"]
    html = render_html(build(findings))
    section = html[html.index('id="remediation"') : html.index('id="inventory"')]
    assert section.index("Online: no restart") < section.index("Needs a restart")
    assert section.index("Needs a restart") < section.index("Needs application coordination")
    summary = html[html.index('id="summary"') : html.index('id="findings"')]
    assert "What to change, in order" in summary


def test_sql_file_cannot_run_as_a_whole_and_comments_cannot_be_escaped() -> None:
    evil = 'public."x\nDROP TABLE users; --"'
    findings = [
        _with_fix("CDC101", evil, "ALTER TABLE t REPLICA IDENTITY FULL;", message="m\nDROP x;"),
        _with_fix("CDC301", "slot", "Grant it:\nGRANT rds_replication TO cdc;\n# note"),
        _with_fix("CDC402", "cluster:orders", AURORA_PARAMETER),
    ]
    sql = render_remediation_sql(build(findings))
    lines = sql.splitlines()
    quit_at = lines.index("\\quit")
    assert all(line.startswith("--") or not line.strip() for line in lines[: quit_at - 1])
    statements = [line for line in lines if line.strip() and not line.startswith(("--", "\\"))]
    assert statements == [
        "GRANT rds_replication TO cdc;",
        "ALTER TABLE t REPLICA IDENTITY FULL;",
    ]
    assert "DROP TABLE users" not in "\n".join(statements)
    assert '-- CDC101 public."x\\x0aDROP TABLE users; --": m\\x0aDROP x;' in lines
    assert "-- shell: aws rds reboot-db-instance --db-instance-identifier orders-1  " in sql
    assert "-- Grant it:" in lines and "-- note" in lines
    assert sql == render_remediation_sql(build(findings))


def test_sql_lines_keep_sql_and_comment_everything_else() -> None:
    fix = "SELECT a,\n  lower(b)\n  FROM x;\nrestart the server\n# hash\npsql -c 'x'"
    assert sql_lines(fix) == [
        "SELECT a,",
        "  lower(b)",
        "  FROM x;",
        "-- restart the server",
        "-- hash",
        "-- shell: psql -c 'x'",
    ]


def test_no_aws_script_without_aws_commands() -> None:
    assert render_remediation_aws(build([finding("CDC101", "public.t")])) is None


def _aws_findings() -> list[ReportFinding]:
    hostile = "orders-$(touch PWNED)`touch PWNED2`;touch PWNED3"
    return [
        _with_fix("CDC402", "cluster:orders", AURORA_PARAMETER),
        _with_fix(
            "CDC403",
            "cluster:orders",
            "aws rds reboot-db-instance --db-instance-identifier orders-1",
        ),
        _with_fix(
            "CDC404",
            HOSTILE["script"],
            f"aws rds reboot-db-instance --db-instance-identifier '{hostile}'",
        ),
        _with_fix("CDC407", "cluster:orders", "SELECT 1;"),
    ]


def test_aws_script_runs_nothing_by_default_and_reboots_last_once() -> None:
    script = render_remediation_aws(build(_aws_findings()))
    assert script is not None
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    body = [line for line in script.splitlines() if line.startswith(("aws", "run ", "edit_first "))]
    assert not any(line.startswith("aws") for line in body)
    assert [line.split()[0] for line in body] == ["edit_first", "run", "run"]
    assert sum("reboot-db-instance --db-instance-identifier orders-1" in b for b in body) == 1
    assert body[-2].startswith("run aws rds reboot-db-instance")  # after the parameter change
    assert "SELECT 1;" not in script


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_aws_script_is_valid_bash_and_hostile_words_stay_inert(tmp_path: Path) -> None:
    script = render_remediation_aws(build(_aws_findings()))
    assert script is not None
    path = tmp_path / "remediation-aws.sh"
    path.write_text(script)
    subprocess.run(["bash", "-n", str(path)], check=True)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "aws").write_text('#!/bin/sh\necho called >> "$0.log"\n')
    (fake / "aws").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    dry = subprocess.run(
        ["bash", str(path)], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert "(not run: pass --execute to be asked)" in dry.stdout
    assert not (fake / "aws.log").exists()
    declined = subprocess.run(
        ["bash", str(path), "--execute"],
        cwd=tmp_path,
        env=env,
        input="n\nn\nn\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert "skipped" in declined.stdout
    assert not (fake / "aws.log").exists()
    confirmed = subprocess.run(
        ["bash", str(path), "--execute"],
        cwd=tmp_path,
        env=env,
        input="y\ny\ny\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert confirmed.returncode == 0
    assert (fake / "aws.log").read_text().count("called") == 2  # placeholders never run
    assert not list(tmp_path.glob("PWNED*"))
