"""write_reports: the files the CLI leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_factory import build, finding

from audit.remedy import ChangeWindow, Fix, Step, StepKind
from audit.report import (
    FORMATS,
    Report,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_remediation_sql,
    write_reports,
)


def test_writes_each_format_and_the_files_to_act_on(tmp_path: Path, small_report: Report) -> None:
    out = tmp_path / "out"
    paths = write_reports(small_report, out, FORMATS)
    assert paths == {
        "html": out / "report.html",
        "pdf": out / "report.pdf",
        "json": out / "report.json",
        "md": out / "report.md",
        "csv": out / "tables.csv",
        "sql": out / "remediation.sql",
    }
    assert paths["json"].read_text() == render_json(small_report)
    assert paths["html"].read_text() == render_html(small_report)
    assert paths["md"].read_text() == render_markdown(small_report)
    assert paths["csv"].read_text() == render_csv(small_report)
    assert paths["sql"].read_text() == render_remediation_sql(small_report)
    assert paths["pdf"].read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths.values())


def test_json_alone_writes_only_json_and_csv_or_sql_can_be_asked_for(
    tmp_path: Path, small_report: Report
) -> None:
    assert list(write_reports(small_report, tmp_path / "a", ["json"])) == ["json"]
    assert list(write_reports(small_report, tmp_path / "b", ["csv"])) == ["csv"]
    assert list(write_reports(small_report, tmp_path / "c", ["md"])) == ["md", "csv", "sql"]


def test_aws_script_is_written_only_with_aws_commands_and_a_stale_one_is_removed(
    tmp_path: Path,
) -> None:
    aws = finding("CDC001", "setting:wal_level")
    reboot = Step(
        kind=StepKind.AWS_CLI,
        text="aws rds reboot-db-instance --db-instance-identifier orders-1",
        window=ChangeWindow.WRITER_REBOOT,
        restarts="orders-1",
    )
    aws = aws.model_copy(update={"fix": Fix.of(reboot)})
    paths = write_reports(build([aws]), tmp_path, ["md"])
    assert paths["aws"] == tmp_path / "remediation-aws.sh"
    assert "run aws rds reboot-db-instance" in paths["aws"].read_text()
    paths = write_reports(build([finding("CDC101", "public.t")]), tmp_path, ["md"])
    assert "aws" not in paths
    assert not (tmp_path / "remediation-aws.sh").exists()


def test_rewrites_in_place_and_leaves_no_temporary_files(
    tmp_path: Path, small_report: Report
) -> None:
    (tmp_path / "report.json").write_text("old")
    paths = write_reports(small_report, tmp_path, ["json", "md", "json"])
    assert list(paths) == ["json", "md", "csv", "sql"]
    assert paths["json"].read_text() == render_json(small_report)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "remediation.sql",
        "report.json",
        "report.md",
        "tables.csv",
    ]


def test_unknown_format_writes_nothing(tmp_path: Path, small_report: Report) -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        write_reports(small_report, tmp_path, ["json", "docx"])
    assert list(tmp_path.iterdir()) == []


def test_template_error_writes_nothing(tmp_path: Path, small_report: Report) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.md.j2").write_text("{{ missing }}")
    out = tmp_path / "out"
    with pytest.raises(Exception, match="missing"):
        write_reports(small_report, out, ["json", "md"], template_dir=templates)
    assert not out.exists()
