"""write_reports: the files the CLI leaves behind."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_factory import build, finding

from audit import forked
from audit.files import write_atomic_chunks
from audit.remedy import ChangeWindow, Fix, Step, StepKind
from audit.report import (
    FORMATS,
    Report,
    render,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_remediation_sql,
    view,
    write_reports,
)
from audit.report import write as report_write
from audit.report.render import render_json_bytes, render_json_chunks, shared_contexts
from audit.report.view import Medium


@pytest.fixture(autouse=True, params=["one process", "two processes"])
def processes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here in one process and with the files for machines written by a forked
    child (pytest-xdist's worker runs a thread, which would otherwise keep it to one)."""
    if request.param == "one process":
        monkeypatch.setenv(forked.PROCESSES_ENV, "1")
    else:
        monkeypatch.delenv(forked.PROCESSES_ENV, raising=False)
        monkeypatch.setattr(forked.threading, "active_count", lambda: 1)
    mode: str = request.param
    return mode


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


@pytest.mark.parametrize("rows_per_chunk", [1, 2, 1000])
def test_json_in_chunks_is_the_document_byte_for_byte(
    small_report: Report, rows_per_chunk: int
) -> None:
    rows, findings = len(small_report.inventory.tables or []), len(small_report.findings)
    assert rows >= 3 and findings >= 3
    chunks = list(render_json_chunks(small_report, rows_per_chunk))
    assert b"".join(chunks) == render_json_bytes(small_report)
    # findings and table rows come in batches, between the pieces of the rest of the document
    batches = -(-rows // rows_per_chunk) + -(-findings // rows_per_chunk)
    assert len(chunks) == batches + 5


def test_json_without_findings_or_table_rows(small_report: Report) -> None:
    for tables in (None, []):
        inventory = small_report.inventory.model_copy(update={"tables": tables})
        for findings in ([], small_report.findings):
            report = small_report.model_copy(update={"inventory": inventory, "findings": findings})
            assert b"".join(render_json_chunks(report, 2)) == render_json_bytes(report)
    empty = small_report.model_copy(
        update={
            "inventory": small_report.inventory.model_copy(update={"tables": []}),
            "findings": [],
        }
    )
    assert len(list(render_json_chunks(empty))) == 1


def test_a_document_failing_halfway_leaves_the_earlier_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(b"earlier")

    def chunks() -> Iterator[bytes]:
        yield b"half of a new "
        raise RuntimeError("serializer failed")

    with pytest.raises(RuntimeError, match="serializer failed"):
        write_atomic_chunks(path, chunks())
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert path.read_bytes() == b"earlier"
    write_atomic_chunks(path, iter([b"a ", b"new ", b"one"]))
    assert path.read_bytes() == b"a new one"


def test_html_and_markdown_share_one_view_context_only_where_asked(
    small_report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    html, md = render_html(small_report), render_markdown(small_report)
    made: list[tuple[int, str]] = []

    def counted(report: Report, medium: Medium) -> dict[str, Any]:
        made.append((id(report), medium))
        return view.context(report, medium)

    monkeypatch.setattr(render, "context", counted)
    with shared_contexts():
        assert (render_html(small_report), render_markdown(small_report)) == (html, md)
        other = small_report.model_copy(update={"title": "Another"})
        assert "Another" in render_html(other)
    assert made == [(id(small_report), "html"), (id(other), "html")]
    render_html(small_report)
    render_html(small_report)
    assert len(made) == 4  # outside, each rendering makes its own


@pytest.mark.parametrize(
    "failing", ["render_csv", "render_json_chunks", "render_markdown", "render_remediation_sql"]
)
def test_a_failure_in_either_process_writes_nothing(
    tmp_path: Path, small_report: Report, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    def full_disk(*args: object, **kwargs: object) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report_write, failing, full_disk)
    out = tmp_path / "out"
    with pytest.raises(OSError) as raised:
        write_reports(small_report, out, ["json", "md"])
    assert raised.value.errno == errno.ENOSPC
    assert not out.exists()
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "report.json").write_text("earlier")
    with pytest.raises(OSError):
        write_reports(small_report, tmp_path / "kept", ["json", "md"])
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["report.json"]
    assert (tmp_path / "kept" / "report.json").read_text() == "earlier"
