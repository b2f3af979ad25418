"""The PDF: it renders, says what the HTML says, and is byte-for-byte reproducible.

Each render takes about half a second, so these tests share a few renders.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from report_factory import (
    HOSTILE,
    NAME_63,
    build,
    finding,
    hostile_findings,
    realistic_findings,
)

from audit.config import load_config
from audit.engine import Severity, get_profile
from audit.facts import read_facts
from audit.facts.io import facts_sha256
from audit.pipeline import analyze
from audit.report import Report, render_pdf
from audit.report.view import VERDICT_WORDS
from tests.factories import facts

DEMO = Path(__file__).resolve().parents[2] / "sample_outputs" / "demo"
#: The demo's PDF must stay a document a person reads, not a dump.
DEMO_MAX_PAGES = 30


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


#: Long enough to wrap in every column the PDF shows subjects in (cover, cards, tables).
LONG_IDENT = (
    "warehouse_reporting_archive_schema_for_customer_data."
    "customer_order_line_items_archive_2024_partition_q4_extra_long"
)


def _splits(text: str, ident: str) -> list[str]:
    """Every place ``ident`` wraps in ``text``: the characters just before each line break."""
    gap = r"[\s\u200b]*"
    pattern = re.compile(gap.join(re.escape(c) for c in ident))
    found = []
    for match in pattern.finditer(text):
        squeezed = ""
        for char in match.group():
            if char == "\n":
                found.append(squeezed[-1])
            elif not char.isspace() and char != "\u200b":
                squeezed += char
    return found


def test_identifiers_wrap_at_dots_and_underscores_never_mid_word(
    pdftotext: str, tmp_path: Path
) -> None:
    # Fix steps are SQL in a <pre>: they wrap anywhere and add no character a reader copies.
    report = build(
        [
            finding(code, LONG_IDENT).model_copy(update={"fix": None})
            for code in ("CDC101", "CDC102")
        ]
    )
    path = tmp_path / "report.pdf"
    path.write_bytes(render_pdf(report))
    text = subprocess.run(
        [pdftotext, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    breaks = _splits(text, LONG_IDENT)
    assert len(breaks) >= 4, "the identifier never wraps: the test shows nothing"
    assert set(breaks) <= {".", "_"}, breaks


def test_pdf_has_running_header_footer_and_contents(
    rendered: dict[str, object], pdftotext: str
) -> None:
    report = rendered["report"]
    assert isinstance(report, Report)
    cover = _text(pdftotext, rendered["path"], 1)  # type: ignore[arg-type]
    second = _text(pdftotext, rendered["path"], 2)  # type: ignore[arg-type]
    third = _text(pdftotext, rendered["path"], 3)  # type: ignore[arg-type]
    assert f"Report {report.report_id}" not in cover  # no running header on the cover
    assert "WHAT THE REMEDIATION PLAN NEEDS" in cover
    assert f"Report {report.report_id}" in second
    assert str(report.target.host) in second
    assert "Page 2 of" in second
    assert "SIMULATED DATA" in second
    # the back of the first sheet: the decision and who signs it, then the audit's particulars
    assert "Decision and approval" in second
    assert "About this audit" in second
    assert "Contents" in third
    assert "Could not check" in third


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
    tiny = build([], estimated=False, the_facts=facts(tables=[], settings=None, sampling=None))
    first = render_pdf(tiny)
    assert render_pdf(tiny) == first
    assert "SOURCE_DATE_EPOCH" not in os.environ


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path]:
    facts_path = DEMO / "facts.json"
    config = DEMO / "cdc-preflight.toml"
    report = analyze(
        read_facts(facts_path),
        profile=get_profile("debezium"),
        config=load_config(config if config.exists() else None),
        facts_sha256=facts_sha256(facts_path),
    )
    path = tmp_path_factory.mktemp("demo") / "report.pdf"
    path.write_bytes(render_pdf(report))
    return report, path


def test_demo_pdf_pages_render_and_say_what_matters(
    demo: tuple[Report, Path], pdftotext: str, tmp_path: Path
) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("poppler-utils (pdftoppm) is not installed")
    report, path = demo
    subprocess.run([pdftoppm, "-r", "20", "-png", str(path), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert 6 <= len(pages) < DEMO_MAX_PAGES, len(pages)
    for page in pages:  # no page is blank but for its running header and footer (~1 %)
        with Image.open(page) as image:
            grey = image.convert("L")
            inked = sum(grey.histogram()[:230]) / (grey.width * grey.height)
        assert inked > 0.02, page.name
    text = _text(pdftotext, path)
    assert VERDICT_WORDS[report.verdict] in text
    for f in report.findings:
        if f.severity is Severity.CRITICAL and not f.waived:
            assert f.code in text
    for heading in ("Capacity plan", "Remediation plan", "Inventory", "Decision and approval"):
        assert heading in text
    assert "Figure 1. WAL rate over the sample window" in text
    cover = _text(pdftotext, path, 1)
    assert "WAL NOW (MEAN)" in cover and "SNAPSHOT DURATION" in cover


_RENDER_DEMO = """
import sys
from pathlib import Path
from audit.config import load_config
from audit.engine import get_profile
from audit.facts import read_facts
from audit.facts.io import facts_sha256
from audit.pipeline import analyze
from audit.report import render_pdf
demo = Path(sys.argv[1])
report = analyze(read_facts(demo / "facts.json"), profile=get_profile("debezium"),
                 config=load_config(demo / "cdc-preflight.toml"),
                 facts_sha256=facts_sha256(demo / "facts.json"))
Path(sys.argv[2]).write_bytes(render_pdf(report))
"""


@pytest.mark.slow
def test_demo_pdf_does_not_depend_on_the_host_fonts(
    demo: tuple[Report, Path], tmp_path: Path
) -> None:
    """Rendered where fontconfig knows no font at all, the demo PDF is the same file: every
    glyph comes from the packaged fonts, so installing a font package changes nothing."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    bare = tmp_path / "bare.pdf"
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-c", _RENDER_DEMO, str(DEMO), str(bare)],
        check=True,
        env=env,
        cwd=root,
        capture_output=True,
    )
    _, path = demo
    assert bare.read_bytes() == path.read_bytes()
    fonts = _fonts(path)
    assert fonts and all("cdc-preflight" in name for name in fonts), fonts


def _fonts(path: Path) -> list[str]:
    pdffonts = shutil.which("pdffonts")
    if pdffonts is None:
        pytest.skip("poppler-utils (pdffonts) is not installed")
    lines = subprocess.run(
        [pdffonts, str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    return [line.split()[0] for line in lines]


_RENDER_CJK = """
import sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from report_factory import build, finding
from audit.report import render_pdf
names = sys.argv[3:]
report = build([finding("CDC101", name) for name in names])
Path(sys.argv[1]).write_bytes(render_pdf(report))
"""


def test_cjk_names_print_from_the_packaged_fonts_on_a_host_without_fonts(
    tmp_path: Path, pdftotext: str
) -> None:
    names = ["public.주문_내역", "public.注文履歴", "public.订单明细", "public.訂單明細"]
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    path = tmp_path / "cjk.pdf"
    here = Path(__file__).resolve().parent
    done = subprocess.run(
        [sys.executable, "-c", _RENDER_CJK, str(path), str(here), *names],
        env={**os.environ, "FONTCONFIG_FILE": str(conf)},
        cwd=here.parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ".notdef" not in done.stderr, done.stderr
    text = subprocess.run(
        [pdftotext, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    for name in names:
        assert name in text
    fonts = _fonts(path)
    assert any("cdc-preflight-CJK" in name for name in fonts), fonts
    assert all("cdc-preflight" in name for name in fonts), fonts


def test_cover_stays_on_its_page_with_many_long_blockers(pdftotext: str, tmp_path: Path) -> None:
    """Fifty blockers with 127-character names and long messages: the cover names three,
    counts the rest, and keeps the counts, the plan's needs and every headline figure on
    page 1; the decision block starts page 2."""
    long_message = " ".join(["the table is long and its message longer"] * 8)
    blockers = [finding("CDC101", f"{LONG_IDENT}_{i:02d}", message=long_message) for i in range(50)]
    report = build(blockers + realistic_findings(20))
    path = tmp_path / "report.pdf"
    path.write_bytes(render_pdf(report))
    cover = _text(pdftotext, path, 1)
    shown = re.findall(r"^\s*[123]\. CDC\d{3} ", cover, re.M)
    more = re.search(r"and (\d+) more critical findings", cover)
    assert len(shown) == 3 and more is not None
    assert 3 + int(more.group(1)) == sum(
        f.severity is Severity.CRITICAL and not f.waived for f in report.findings
    )
    for label in ("CRITICAL", "WHAT THE REMEDIATION PLAN NEEDS", "WAL NOW (MEAN)", "RUNWAY"):
        assert label in cover, label
    assert "Decision and approval" in _text(pdftotext, path, 2)
