"""The remediation plan: change windows, step order, remediation.sql and remediation-aws.sh.

The plan only orders and renders the steps the rules built: windows come from the steps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from report_factory import HOSTILE, build, finding

from audit.config import AuditConfig
from audit.engine import Severity, get_profile
from audit.facts import Facts
from audit.pipeline import analyze
from audit.remedy import ChangeWindow, Fix, Step, StepKind, note, shell, sql
from audit.remedy.aws_cli import Target, reboot
from audit.remedy.settings import restart_server
from audit.report import render_html, render_remediation_aws, render_remediation_sql
from audit.report.model import Report, ReportFinding
from audit.report.remediation import build_plan, sql_lines
from tests.aws.builders import (
    CLUSTER_GROUP,
    RDS_GROUP,
    RDS_INSTANCE,
    WRITER,
    aurora_aws,
    aurora_facts,
    parameter,
    rds_aws,
    rds_facts,
    with_cluster_parameters,
    with_member,
)
from tests.factories import facts, setting, settings

AURORA = Target.of(aurora_aws(), aurora=True)


def _with_fix(code: str, subject: str, fix: Fix | None, **kw: object) -> ReportFinding:
    return finding(code, subject, **kw).model_copy(update={"fix": fix})  # type: ignore[arg-type]


def _aws(text: str, window: ChangeWindow = ChangeWindow.ONLINE) -> Step:
    return Step(kind=StepKind.AWS_CLI, text=text, window=window)


def test_windows_come_from_the_steps_not_from_the_rule_code() -> None:
    online = Fix.of(sql("ALTER TABLE t REPLICA IDENTITY FULL;"))
    locked = Fix.of(sql("ANALYZE t;", ChangeWindow.COORDINATION))
    findings = [
        _with_fix("CDC101", "public.online", online),
        _with_fix("CDC301", "public.locked", locked),
    ]
    plan = build_plan(build(findings))
    assert [(s.window, s.code) for s in plan.steps] == [
        (ChangeWindow.ONLINE, "CDC101"),
        (ChangeWindow.COORDINATION, "CDC301"),
    ]
    assert plan.steps[1].why.startswith("locks a table")


def test_plan_orders_windows_then_severity_and_leaves_out_waived_and_fixless() -> None:
    findings = [
        finding("CDC101", "public.b"),
        finding("CDC101", "public.a", severity=Severity.MEDIUM),
        finding("CDC001", "setting:wal_level"),
        finding("CDC301", "slot_x"),
        _with_fix("CDC203", "public.reload", Fix.of(sql("SELECT 1;", ChangeWindow.RELOAD))),
        _with_fix("CDC403", "instance:orders-1", Fix.of(reboot(AURORA, WRITER, why="x"))),
        finding("CDC102", "public.w", waived=True, waiver_reason="ok"),
        _with_fix("CDC203", "public.none", None),
    ]
    plan = build_plan(build(findings))
    assert [(s.number, s.window, s.code) for s in plan.steps] == [
        (1, ChangeWindow.ONLINE, "CDC301"),
        (2, ChangeWindow.RELOAD, "CDC203"),
        (3, ChangeWindow.RESTART, "CDC001"),
        (4, ChangeWindow.WRITER_REBOOT, "CDC403"),
        (5, ChangeWindow.COORDINATION, "CDC101"),
    ]
    assert [a.subject for a in plan.steps[4].actions] == ["public.b", "public.a"]
    assert plan.waived == 1
    assert [f.subject for f in plan.without_fix] == ["public.none"]
    html = render_html(build(findings))
    section = html[html.index('id="remediation"') : html.index('id="inventory"')]
    titles = [
        "Online: no restart",
        "Reload: applies without a restart",
        "Needs a restart",
        "Needs a writer reboot",
        "Needs application coordination",
    ]
    assert [section.index(t) for t in titles] == sorted(section.index(t) for t in titles)
    summary = html[html.index('id="summary"') : html.index('id="findings"')]
    assert "What to change, in order" in summary


def test_one_restart_per_instance_at_the_end_of_the_last_window_that_needs_it() -> None:
    staged = Fix.of(note("max_wal_senders = 10 is already staged"), restart_server("x"))
    findings = [
        finding("CDC001", "setting:wal_level"),
        _with_fix("CDC402", "setting:max_wal_senders", staged),
        _with_fix("CDC403", "instance:orders-1", Fix.of(reboot(AURORA, WRITER, why="a"))),
        _with_fix("CDC404", "instance:orders-1b", Fix.of(reboot(AURORA, WRITER, why="b"))),
    ]
    plan = build_plan(build(findings))
    restarts = {w.window: [r.restarts for r in w.restarts] for w in plan.windows if w.restarts}
    assert restarts == {ChangeWindow.RESTART: ["server"], ChangeWindow.WRITER_REBOOT: [WRITER]}
    assert all(s.restarts is None for step in plan.steps for a in step.actions for s in a.work)
    sql_file = render_remediation_sql(build(findings))
    assert sql_file.count("restart the server (pg_ctl restart") == 1
    assert sql_file.count(f"reboot {WRITER} (remediation-aws.sh)") == 1


def test_sql_file_cannot_run_as_a_whole_and_comments_cannot_be_escaped() -> None:
    evil = 'public."x\nDROP TABLE users; --"'
    findings = [
        _with_fix(
            "CDC101",
            evil,
            Fix.of(sql("ALTER TABLE t REPLICA IDENTITY FULL;")),
            message="m\nDROP x;",
        ),
        _with_fix(
            "CDC301",
            "slot",
            Fix.of(note("Grant it:\nDROP TABLE y;"), sql("GRANT rds_replication TO cdc;")),
        ),
        _with_fix("CDC402", "cluster:orders", Fix.of(reboot(AURORA, WRITER, why="x"))),
    ]
    text = render_remediation_sql(build(findings))
    lines = text.splitlines()
    quit_at = lines.index("\\quit")
    assert all(line.startswith("--") or not line.strip() for line in lines[: quit_at - 1])
    statements = [line for line in lines if line.strip() and not line.startswith(("--", "\\"))]
    assert statements == ["ALTER TABLE t REPLICA IDENTITY FULL;", "GRANT rds_replication TO cdc;"]
    assert '-- CDC101 public."x\\x0aDROP TABLE users; --": m\\x0aDROP x;' in lines
    assert "-- Grant it:" in lines and "-- DROP TABLE y;" in lines
    assert "\naws " not in text
    assert text == render_remediation_sql(build(findings))


def test_sql_lines_hold_sql_steps_and_notes_only() -> None:
    assert sql_lines(sql("SELECT a,\n  b\n  FROM x;")) == ["SELECT a,", "  b", "  FROM x;"]
    assert sql_lines(note("restart the server\nthen check")) == [
        "-- restart the server",
        "-- then check",
    ]
    assert sql_lines(shell("psql -c 'x'")) == []
    assert sql_lines(_aws("aws rds describe-db-clusters")) == []


def test_no_aws_script_without_aws_or_shell_steps() -> None:
    assert render_remediation_aws(build([finding("CDC101", "public.t")])) is None


def _aws_findings() -> list[ReportFinding]:
    hostile = "orders-$(touch PWNED)`touch PWNED2`;touch PWNED3"
    parameter_change = Fix.of(
        _aws(
            "aws rds modify-db-cluster-parameter-group --db-cluster-parameter-group-name "
            "'<cluster-parameter-group>' --parameters "
            "ParameterName=rds.logical_replication,ParameterValue=1,ApplyMethod=pending-reboot",
            ChangeWindow.WRITER_REBOOT,
        ),
        reboot(AURORA, WRITER, why="applies it"),
    )
    return [
        _with_fix("CDC402", "cluster:orders", parameter_change),
        _with_fix("CDC403", "cluster:orders", Fix.of(reboot(AURORA, WRITER, why="applies"))),
        _with_fix("CDC404", HOSTILE["script"], Fix.of(reboot(AURORA, hostile, why="reader"))),
        _with_fix("CDC407", "cluster:orders", Fix.of(sql("SELECT 1;"))),
    ]


def test_aws_script_runs_nothing_by_default_and_reboots_last_once() -> None:
    script = render_remediation_aws(build(_aws_findings()))
    assert script is not None
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    body = [line for line in script.splitlines() if line.startswith(("aws", "run ", "edit_first "))]
    assert not any(line.startswith("aws") for line in body)
    assert [line.split()[0] for line in body] == ["run", "edit_first", "run"]
    assert sum(f"reboot-db-instance --db-instance-identifier {WRITER}" in b for b in body) == 1
    assert body[-1].startswith("run aws rds reboot-db-instance")  # after the parameter change
    assert "Impact: a brief outage of the writer" in script
    assert "# applies: CDC402 cluster:orders, CDC403 cluster:orders" in script
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


# -- the platform decides the form: the whole pipeline over RDS, Aurora and self-managed facts --


def _report(the_facts: Facts) -> Report:
    return analyze(
        the_facts, profile=get_profile("debezium"), config=AuditConfig(), facts_sha256="0" * 64
    )


def _outputs(report: Report) -> str:
    fixes = "\n".join(f.fix.text() for f in report.findings if f.fix is not None)
    return "\n".join([fixes, render_remediation_sql(report), render_remediation_aws(report) or ""])


SHORT_SETTINGS = settings(
    {"rds.logical_replication": "on"},
    max_replication_slots="1",
    max_slot_wal_keep_size="-1",
    wal_sender_timeout="0",
)


def _staged_aurora() -> Facts:
    """The writer runs max_replication_slots=1; the cluster group stages 10 for the reboot."""
    aws = with_cluster_parameters(aurora_aws(), parameter("max_replication_slots", "10"))
    aws = with_member(aws, WRITER, cluster_pg_status="pending-reboot")
    return aurora_facts(aws, settings=SHORT_SETTINGS)


def test_aurora_outputs_never_alter_system_and_name_the_real_group_writer_and_region() -> None:
    report = _report(_staged_aurora())
    by_code = {f.code: f for f in report.findings}
    assert {"CDC002", "CDC005", "CDC007"} <= set(by_code)
    text = _outputs(report)
    assert "ALTER SYSTEM" not in text
    assert "<" not in "".join(
        s.text for f in report.findings if f.fix for s in f.fix.steps if s.kind is StepKind.AWS_CLI
    )
    keep = by_code["CDC005"].fix
    assert keep is not None
    [modify] = [s for s in keep.steps if s.kind is StepKind.AWS_CLI]
    assert f"--db-cluster-parameter-group-name {CLUSTER_GROUP} " in modify.text
    assert "ApplyMethod=immediate" in modify.text and "--region eu-west-1" in modify.text
    assert modify.window is ChangeWindow.RELOAD
    assert modify.facts["parameter_group"] == CLUSTER_GROUP


def test_a_value_staged_in_the_parameter_group_makes_the_fix_the_reboot_only() -> None:
    report = _report(_staged_aurora())
    [slots] = [f for f in report.findings if f.code == "CDC002"]
    assert "10 is staged in cluster parameter group orders-cdc" in slots.message
    assert "which resolves this finding" in slots.message
    assert slots.fix is not None
    assert [s.kind for s in slots.fix.steps] == [StepKind.NOTE, StepKind.AWS_CLI]
    assert slots.fix.steps[1].restarts == WRITER
    assert slots.fix.window is ChangeWindow.WRITER_REBOOT
    assert "modify-db-cluster-parameter-group" not in slots.fix.text()


def test_aws_script_reboots_each_instance_once() -> None:
    report = _report(_staged_aurora())
    script = render_remediation_aws(report)
    assert script is not None
    reboots = [line for line in script.splitlines() if "reboot-db-instance" in line]
    assert reboots == [
        f"run aws rds reboot-db-instance --db-instance-identifier {WRITER} --region eu-west-1"
    ]


def test_rds_outputs_use_the_instance_group_and_never_alter_system() -> None:
    report = _report(rds_facts(rds_aws(), settings=SHORT_SETTINGS))
    text = _outputs(report)
    assert "ALTER SYSTEM" not in text
    assert f"--db-parameter-group-name {RDS_GROUP} " in text
    assert f"reboot-db-instance --db-instance-identifier {RDS_INSTANCE} --region eu-west-1" in text
    [slots] = [f for f in report.findings if f.code == "CDC002"]
    assert slots.fix is not None and slots.fix.window is ChangeWindow.RESTART


def test_placeholders_only_without_aws_facts() -> None:
    without = facts(server=aurora_facts().server, settings=SHORT_SETTINGS)
    report = _report(without)
    [slots] = [f for f in report.findings if f.code == "CDC002"]
    assert slots.fix is not None
    text = slots.fix.text()
    assert "'<cluster-parameter-group>'" in text and "'<writer-instance>'" in text
    assert "ALTER SYSTEM" not in _outputs(report)


def test_self_managed_uses_alter_system_and_the_staged_value_only_needs_a_restart() -> None:
    staged = setting("max_replication_slots", "1", context="postmaster", pending_value="10")
    report = _report(facts(settings=settings(max_replication_slots=staged)))
    [slots] = [f for f in report.findings if f.code == "CDC002"]
    assert slots.fix is not None
    assert [s.restarts for s in slots.fix.steps] == [None, "server"]
    assert "ALTER SYSTEM" not in slots.fix.text()
    report = _report(facts(settings=settings(max_slot_wal_keep_size="-1")))
    [keep] = [f for f in report.findings if f.code == "CDC005"]
    assert keep.fix is not None
    assert keep.fix.steps[0].text.startswith("ALTER SYSTEM SET max_slot_wal_keep_size = ")
    assert keep.fix.window is ChangeWindow.RELOAD
    assert "e.g." not in keep.fix.text()
