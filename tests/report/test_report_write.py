"""write_reports: the files the CLI leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.report import FORMATS, Report, render_html, render_json, render_markdown, write_reports


def test_writes_each_format_and_returns_its_path(tmp_path: Path, small_report: Report) -> None:
    out = tmp_path / "out"
    paths = write_reports(small_report, out, FORMATS)
    assert paths == {
        "html": out / "report.html",
        "pdf": out / "report.pdf",
        "json": out / "report.json",
        "md": out / "report.md",
    }
    assert paths["json"].read_text() == render_json(small_report)
    assert paths["html"].read_text() == render_html(small_report)
    assert paths["md"].read_text() == render_markdown(small_report)
    assert paths["pdf"].read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths.values())


def test_rewrites_in_place_and_leaves_no_temporary_files(
    tmp_path: Path, small_report: Report
) -> None:
    (tmp_path / "report.json").write_text("old")
    paths = write_reports(small_report, tmp_path, ["json", "md", "json"])
    assert list(paths) == ["json", "md"]
    assert paths["json"].read_text() == render_json(small_report)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.md"]


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
