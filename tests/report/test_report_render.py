"""JSON, HTML and Markdown rendering: determinism, escaping, self-containment, content."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from pydantic import ValidationError
from report_factory import HOSTILE, SCRIPT, build, finding, hostile_findings, realistic_findings

from audit.engine import Severity
from audit.estimate.model import Estimates
from audit.report import Report, render_html, render_json, render_markdown
from audit.report.css import inline_custom_properties
from audit.report.environment import md_escape, prose
from audit.report.render import _render_page
from audit.report.view import PDF_FINDINGS_CAP, cap_findings, context, shorten


def test_json_keeps_model_field_order_and_round_trips(report: Report) -> None:
    text = render_json(report)
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    assert list(json.loads(text)) == list(Report.model_fields)
    assert Report.model_validate_json(text) == report


def test_every_text_format_is_byte_for_byte_deterministic(report: Report) -> None:
    copy = Report.model_validate_json(render_json(report))
    assert render_json(copy) == render_json(report)
    assert render_html(copy) == render_html(report)
    assert render_markdown(copy) == render_markdown(report)
    assert _render_page(copy, "pdf", None) == _render_page(report, "pdf", None)


def test_importing_the_report_package_does_not_import_weasyprint() -> None:
    code = "import sys, audit.report; assert 'weasyprint' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


@pytest.mark.parametrize("medium", ["html", "pdf"])
def test_hostile_identifiers_are_escaped(report: Report, medium: str) -> None:
    html = _render_page(report, medium, None)  # type: ignore[arg-type]
    # the only script is the packaged search/filter/sort one, in the HTML only
    assert html.count("<script") == (1 if medium == "html" else 0)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "café_订单_🚀" in html
    assert HOSTILE["long"] in html
    assert 'href="javascript:' not in html
    assert "javascript:alert(1)" in html  # shown as text, not as a link


def test_html_is_self_contained(report: Report) -> None:
    html = render_html(report)
    assert "<link" not in html
    assert "@import" not in html
    assert "url(" not in html
    assert re.search(r"<(iframe|object|embed|img)\b", html) is None
    # one inline script (search, filter, sort), nothing it could fetch with
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == 1 and scripts[0][0] == ""
    for api in ("fetch(", "XMLHttpRequest", "import(", "WebSocket", "sendBeacon", ".src", "eval("):
        assert api not in scripts[0][1], api
    assert re.search(r"<[a-z][^>]*\ssrc=", html) is None
    references = {ref for f in report.findings for ref in f.references}
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.startswith("#") or href in references, href


def test_html_leads_with_verdict_and_identity(report: Report) -> None:
    html = render_html(report)
    verdict = html.index("NOT READY")
    assert verdict < html.index('id="findings"')
    for text in (
        report.report_id,
        report.facts_sha256,
        "PostgreSQL 15.4",
        "aurora-postgresql",
        "debezium",
        "2025-03-04 09:30 UTC",
        f"cdc-preflight {report.tool.version}",
    ):
        assert text in html[: html.index("<main>")], text


@pytest.mark.parametrize(
    ("findings", "word", "css"),
    [
        ([finding("CDC101", "public.t")], "NOT READY", "verdict-not_ready"),
        ([finding("CDC301", "slot_a")], "READY WITH RISKS", "verdict-ready_with_risks"),
        ([finding("CDC203", "public.t")], "READY", "verdict-ready"),
        ([], "READY", "verdict-ready"),
    ],
)
def test_verdict_is_a_word_as_well_as_a_colour(findings: list[object], word: str, css: str) -> None:
    report = build(findings)  # type: ignore[arg-type]
    html = render_html(report)
    assert f'<p class="verdict-word">{word}</p>' in html
    assert f'class="verdict {css}"' in html
    assert f"**{word}**" in render_markdown(report)


def test_findings_are_grouped_by_severity_worst_first(report: Report) -> None:
    html = render_html(report)
    positions = [html.index(f'id="sev-{s.value}"') for s in Severity]
    assert positions == sorted(positions)
    for f in report.findings:
        assert f'id="rule-{f.severity.value}-{f.code}"' in html


def test_finding_details_are_rendered() -> None:
    report = build(
        [
            finding(
                "CDC101",
                "public.orders",
                evidence={"relreplident": "d", "size_bytes": 10, "cols": ["a", "b"]},
            )
        ]
    )
    html = render_html(report)
    assert '<th scope="row">relreplident</th><td><code>&#34;d&#34;</code></td>' in html
    assert "<td><code>10</code></td>" in html
    assert "<td><code>[&#34;a&#34;, &#34;b&#34;]</code></td>" in html
    assert "<pre><code>ALTER TABLE public.orders ADD PRIMARY KEY (id);" in html
    assert "<code>UPDATE</code>" in html  # "why it matters" keeps inline code
    assert "<li>Debezium cannot emit keys for the table.</li>" in html
    assert (
        '<a href="https://www.postgresql.org/docs/current/sql-altertable.html'
        '#SQL-ALTERTABLE-REPLICA-IDENTITY">' in html
    )


def test_waived_not_evaluated_and_collection_issues_are_visible(report: Report) -> None:
    html = render_html(report)
    waived = html[html.index('id="waived"') :]
    assert "Audit log is append-only; approved by J. Doe, CR-1182." in waived
    checked = html[html.index('id="not-checked"') :]
    for item in report.not_evaluated:
        assert item.code in checked
        assert item.reason in checked
    assert "GRANT pg_monitor TO cdc_audit" in checked


def test_could_not_check_section_is_shown_even_when_empty() -> None:
    html = render_html(build([], not_evaluated=[], collection_issues=[]))
    assert 'id="not-checked"' in html
    assert "All 25 rules applied to this profile were evaluated." in html
    assert "Every fact family was collected." in html


def test_capacity_plan_replaces_the_generic_estimates_dump(report: Report) -> None:
    html = render_html(report)
    section = html[html.index('id="capacity"') : html.index('id="remediation"')]
    assert section.count("<svg") == 6
    for title in (
        "WAL rate over the sample window",
        "WAL now and under wal_level=logical",
        "Top tables by change volume",
        "Top tables by extra WAL under logical",
        "Snapshot duration per table",
        "WAL retained during the snapshot, against the limit",
    ):
        assert title in section
    assert section.count('<details class="workings">') >= 4
    assert 'class="values"' not in html  # the nested key/value dump is gone
    cover = html[: html.index("</header>")]
    for label in ("WAL now (mean)", "WAL under logical", "Logical overhead", "Snapshot duration"):
        assert label in cover


def test_estimates_of_an_unknown_shape_are_rejected_and_none_are_said() -> None:
    odd = {"wal": "not a mapping", "snapshot": {"status": "ok"}, "wal_rate": {"bps": 1}}
    with pytest.raises(ValidationError):
        Estimates.model_validate(odd)
    assert 'id="capacity"' in render_html(build([], estimated=False))
    assert "no capacity estimates" in render_html(build([], estimated=False))


def test_simulated_label_is_prominent() -> None:
    report = build([], labels={"simulated": "aws", "scenario": "demo"})
    html = render_html(report)
    assert 'class="simulated-banner"' in html
    assert html.index("simulated-banner") < html.index('class="cover"')
    assert "scenario: demo" in html
    assert "**SIMULATED**" in render_markdown(report)
    plain = build([], labels={"scenario": "demo"})
    assert 'class="simulated-banner"' not in render_html(plain)
    assert "SIMULATED" not in render_markdown(plain)


def test_title_customer_and_approval_block() -> None:
    report = build(
        [],
        title="Orders <DB> readiness",
        customer="Acme & Co",
        prepared_by="Jane O'Neil",
    )
    html = render_html(report)
    assert ">Orders &lt;DB&gt; readiness</h1>" in html
    assert "Prepared for Acme &amp; Co" in html
    approval = html[html.index('id="approval"') :]
    for role in ("Prepared by", "Reviewed by", "Approved by"):
        assert role in approval
    assert "Jane O&#39;Neil" in approval
    assert "Orders \\<DB\\> readiness" in render_markdown(report)


def test_markdown_summary_escapes_and_lists_only_critical_and_high(report: Report) -> None:
    md = render_markdown(report)
    assert "<script>" not in md
    assert "\\<script\\>" in md
    table = [line for line in md.splitlines() if line.startswith(("| critical", "| high"))]
    actives = [f for f in report.findings if not f.waived]
    assert len(table) == sum(1 for f in actives if f.severity in (Severity.CRITICAL, Severity.HIGH))
    for row in table:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row
    assert "public.table\\_004" not in md  # a medium finding: counted, not listed
    assert "(5 medium, 4 low, 4 info)" in md
    assert "**Could not check:** 2 rules (CDC302, CDC501)" in md
    assert "report.html" in md
    assert md.endswith(".\n")


def test_markdown_table_is_capped() -> None:
    many = [finding("CDC101", f"public.t{i:03d}") for i in range(60)]
    md = render_markdown(build(many))
    assert md.count("| critical |") == 50
    assert "…and 10 more critical or high findings." in md


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("`x`", "\\`x\\`"),
        ("[l](http://x)", "\\[l\\](http://x)"),
        ("# head", "\\# head"),
        ("<b>&", "\\<b\\>\\&"),
        ("line\nbreak", "line break"),
        ("snake_case*", "snake\\_case\\*"),
        (42, "42"),
    ],
)
def test_md_escape(raw: object, escaped: str) -> None:
    assert md_escape(raw) == escaped


def test_prose_escapes_before_adding_markup() -> None:
    html = prose("Use `<b>` here & <i>there</i>.\n\n- one\n- two `x`")
    assert html == (
        "<p>Use <code>&lt;b&gt;</code> here &amp; &lt;i&gt;there&lt;/i&gt;.</p>"
        "<ul><li>one</li><li>two <code>x</code></li></ul>"
    )


def test_prose_renders_fenced_code_verbatim() -> None:
    html = prose("Run this:\n\n```sql\nSELECT '<x>';\n  -- `keep`\n```\n\nThen `y`.")
    assert html == (
        "<p>Run this:</p><pre><code>SELECT &#39;&lt;x&gt;&#39;;\n  -- `keep`</code></pre>"
        "<p>Then <code>y</code>.</p>"
    )


def test_pdf_cap_keeps_the_worst_findings_and_counts_the_rest() -> None:
    findings = [finding("CDC203", f"public.low{i:03d}") for i in range(230)]
    findings += [finding("CDC101", f"public.crit{i:02d}") for i in range(20)]
    findings.append(finding("CDC101", "public.waived", waived=True, waiver_reason="ok"))
    kept, omitted = cap_findings(findings, PDF_FINDINGS_CAP)
    assert len(kept) == PDF_FINDINGS_CAP
    assert sum(1 for f in kept if f.severity is Severity.CRITICAL and not f.waived) == 20
    assert not any(f.waived for f in kept)
    assert omitted.total == 51
    assert [(row.key, row.count) for row in omitted.by_severity] == [("critical", 1), ("low", 50)]

    report = build(findings)
    assert len(context(report, "html")["groups"][1].rules[0].findings) == 230
    pdf_html = _render_page(report, "pdf", None)
    assert "This PDF shows the 200 most severe findings." in pdf_html
    assert "51 more (1 critical, 50 low) are listed in report.html and report.json." in pdf_html
    assert "most severe findings" not in render_html(report)


def test_template_dir_overrides_packaged_templates(tmp_path: Path, report: Report) -> None:
    (tmp_path / "brand.css").write_text(":root { --accent: #123456; }\n")
    (tmp_path / "_brand.html.j2").write_text("<p class='firm'>Example Consulting</p>\n")
    html = render_html(report, template_dir=tmp_path)
    assert "--accent: #123456;" in html
    assert "<p class='firm'>Example Consulting</p>" in html
    assert "NOT READY" in html  # everything else still comes from the package
    pdf_html = _render_page(report, "pdf", tmp_path)
    assert "color: #123456" in pdf_html  # the PDF inlines the overridden property


def test_strict_undefined_turns_a_template_typo_into_an_error(
    tmp_path: Path, report: Report
) -> None:
    (tmp_path / "report.md.j2").write_text("{{ report.verdict }} {{ no_such_variable }}\n")
    with pytest.raises(jinja2.UndefinedError):
        render_markdown(report, template_dir=tmp_path)
    (tmp_path / "report.html.j2").write_text("{{ report.no_such_field }}\n")
    with pytest.raises(jinja2.UndefinedError):
        render_html(report, template_dir=tmp_path)


def test_html_autoescape_applies_to_override_templates(tmp_path: Path, report: Report) -> None:
    (tmp_path / "report.html.j2").write_text("{{ report.findings[0].subject }}\n")
    hostile = build(hostile_findings())
    assert "<script>" not in render_html(hostile, template_dir=tmp_path)


def test_inline_custom_properties() -> None:
    css = (
        ":root { --a: #111; --b: var(--a); /* note */ }\n"
        ".x { color: var(--b); border: 1px solid var(--a, red); background: var(--local); }\n"
        ".y { --local: blue; }\n:root { --a: #222; }\n"
    )
    out = inline_custom_properties(css)
    assert ".x { color: #222; border: 1px solid #222; background: var(--local); }" in out
    assert "--a" not in out
    assert ".y { --local: blue; }" in out


def test_realistic_fixture_covers_every_severity() -> None:
    report = build(realistic_findings(30))
    assert {f.severity for f in report.findings} == set(Severity)
    assert any(f.waived for f in report.findings)
    assert SCRIPT not in render_html(build(hostile_findings()))


def test_shorten_keeps_both_ends_of_a_long_name() -> None:
    assert shorten("short", 10) == "short"
    long = "orders-" + "x" * 100 + ".eu-west-1.rds.amazonaws.com:5432/orders"
    cut = shorten(long, 84)
    assert len(cut) == 84
    assert cut.startswith("orders-xxx")
    assert cut.endswith(":5432/orders")
    assert "…" in cut


def test_no_password_reaches_any_output() -> None:
    from audit.config import AuditConfig
    from audit.engine import get_profile
    from audit.pipeline import analyze
    from audit.report import render_csv, render_remediation_sql
    from audit.report.redact import scrub, scrub_text
    from tests.factories import facts, setting, settings

    conninfo = setting(
        "primary_conninfo",
        "host=primary user=rep password=hunter2 sslmode=require",
        pending_value="postgresql://rep:hunter3@primary/db",
        pending_restart=True,
        context="postmaster",
    )
    the_facts = facts(settings=settings(primary_conninfo=conninfo))
    report = analyze(
        the_facts, profile=get_profile("debezium"), config=AuditConfig(), facts_sha256="0" * 64
    )
    outputs = [
        render_json(report),
        render_html(report),
        _render_page(report, "pdf", None),
        render_markdown(report),
        render_csv(report),
        render_remediation_sql(report),
    ]
    assert "primary_conninfo" in outputs[1]  # the setting is shown, its password is not
    for text in outputs:
        assert "hunter" not in text
    assert scrub_text("x password='a b' y") == "x password=[redacted] y"
    assert scrub_text("see https://host:5432/a@b") == "see https://host:5432/a@b"
    assert scrub({"ssl_passphrase": "s", "n": [{"auth_token": "t"}], "ok": "v"}) == {
        "ssl_passphrase": "[redacted]",
        "n": [{"auth_token": "[redacted]"}],
        "ok": "v",
    }


def test_long_evidence_is_summarised_in_the_pdf_only() -> None:
    from audit.report.environment import brief_json

    partitions = {f"public.events_{i:04d}": {"relreplident": "d"} for i in range(60)}
    report = build([finding("CDC101", "public.events", evidence={"partitions": partitions})])
    pdf_html = _render_page(report, "pdf", None)
    assert "(60 keys)" in pdf_html
    assert "public.events_0059" not in pdf_html
    assert "public.events_0059" in render_html(report)  # the HTML keeps up to 4,000 characters
    assert brief_json(list(range(100)), 40) == "[0, 1, 2, 3, 4, …] (100 items)"
    assert brief_json("x" * 50, 10) == '"xxxxxxxx…'  # JSON text, cut
    assert brief_json([1, 2], 40) == "[1, 2]"
