"""The PDF: it renders, says what the HTML says, and is byte-for-byte reproducible.

Each render takes about half a second, so these tests share a few renders.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

import pytest
from report_factory import HOSTILE, NAME_63, build, hostile_findings, realistic_findings

from audit.report import Report, render_pdf


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    report = build(
        realistic_findings(8) + hostile_findings(),
        labels={"simulated": "aws"},
        prepared_by="Jane Consultant",
    )
    pdf = render_pdf(report)
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(pdf)
    return {"report": report, "pdf": pdf, "path": path}


def _text(pdftotext: str, path: Path, *pages: int) -> str:
    args = [pdftotext, "-layout"]
    if pages:
        args += ["-f", str(pages[0]), "-l", str(pages[-1])]
    return subprocess.run(
        [*args, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_pdf_contains_verdict_findings_and_hostile_identifiers(
    rendered: dict[str, object], pdftotext: str
) -> None:
    pdf = rendered["pdf"]
    report = rendered["report"]
    assert isinstance(pdf, bytes) and isinstance(report, Report)
    assert pdf.startswith(b"%PDF-")
    text = _text(pdftotext, rendered["path"])  # type: ignore[arg-type]
    assert "NOT READY" in text
    assert "SIMULATED" in text
    for f in report.findings:
        assert f.code in text
    assert '"<script>alert(1)</script>"' in text
    assert "café" in text
    squeezed = "".join(text.split())
    assert f"public.{NAME_63}" in squeezed
    assert "".join(HOSTILE["long"].split()) in squeezed
    assert "Jane Consultant" in text


def test_pdf_has_running_header_footer_and_contents(
    rendered: dict[str, object], pdftotext: str
) -> None:
    report = rendered["report"]
    assert isinstance(report, Report)
    cover = _text(pdftotext, rendered["path"], 1)  # type: ignore[arg-type]
    second = _text(pdftotext, rendered["path"], 2)  # type: ignore[arg-type]
    assert f"Report {report.report_id}" not in cover  # no running header on the cover
    assert f"Report {report.report_id}" in second
    assert str(report.target.host) in second
    assert "Page 2 of" in second
    assert "SIMULATED DATA" in second
    assert "Contents" in second
    assert "Could not check" in second


def test_pdf_is_byte_for_byte_deterministic_and_css_is_clean(
    rendered: dict[str, object], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    report = rendered["report"]
    assert isinstance(report, Report)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        assert render_pdf(report) == rendered["pdf"]
    # CSS WeasyPrint does not understand is logged ("Ignored `font-weight: 650`, invalid
    # value"); glyphs missing from the installed fonts (CJK, emoji) are not our CSS.
    assert [m for m in caplog.messages if not m.startswith(".notdef glyph")] == []
    # Without libharfbuzz-subset WeasyPrint subsets fonts with fontTools, which stamps the
    # time into each font unless SOURCE_DATE_EPOCH is set.
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    tiny = build([])
    first = render_pdf(tiny)
    assert render_pdf(tiny) == first
    assert "SOURCE_DATE_EPOCH" not in os.environ
