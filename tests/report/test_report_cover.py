"""The cover decides: verdict, the blockers by name, what the plan needs, the basis of the
rates, and the decision block with its conditions and change reference."""

from __future__ import annotations

import json
from pathlib import Path

from report_factory import build, hostile_findings, realistic_findings

from audit.config import load_config
from audit.engine import Severity, get_profile
from audit.facts import read_facts
from audit.facts.io import facts_sha256
from audit.pipeline import DocumentInfo, analyze
from audit.remedy import ChangeWindow
from audit.report import Report, render_html
from audit.report.remediation import build_plan
from audit.report.view import COVER_BLOCKERS, SUGGESTED_DECISION, context, disruption
from audit.units import fmt_seconds
from tests.test_cli import cli

SAMPLES = Path(__file__).resolve().parents[2] / "sample_outputs"


def _sample(name: str, change_ref: str | None = None) -> Report:
    folder = SAMPLES / name
    return analyze(
        read_facts(folder / "facts.json"),
        profile=get_profile("debezium"),
        config=load_config(folder / "cdc-preflight.toml"),
        facts_sha256=facts_sha256(folder / "facts.json"),
        document=DocumentInfo(change_ref=change_ref),
    )


def test_cover_names_the_first_blockers_and_counts_the_rest() -> None:
    report = build(realistic_findings(30) + hostile_findings())
    critical = [f for f in report.findings if f.severity is Severity.CRITICAL and not f.waived]
    assert len(critical) > COVER_BLOCKERS
    view = context(report, "html")["blockers"]
    assert [(b.code, b.subject) for b in view.shown] == [
        (f.code, f.subject) for f in critical[:COVER_BLOCKERS]
    ]
    assert view.more == len(critical) - COVER_BLOCKERS
    cover = render_html(report).split("</header>")[0]
    assert f"and {view.more} more critical findings" in cover
    for b in view.shown:
        assert f'<a href="#{b.anchor}" class="code">{b.code}</a>' in cover
        assert f'id="{b.anchor}"' in render_html(report)


def test_plan_needs_counts_restarts_reboots_and_coordinated_changes_of_the_plan() -> None:
    report = _sample("demo-aurora")
    plan = build_plan(report)
    needs = disruption(plan)
    gathered = [s for w in plan.windows for s in w.restarts]
    assert len(needs.restarts) == sum(s.window is ChangeWindow.RESTART for s in gathered)
    assert len(needs.writer_reboots) == sum(
        s.window is ChangeWindow.WRITER_REBOOT for s in gathered
    )
    # the simulated cluster: a reader restarts, the writer reboots, three table changes
    assert (needs.restarts, needs.writer_reboots) == (["demo-aurora-2"], ["demo-aurora-1"])
    assert needs.coordinated_steps == 3
    assert needs.coordinated_subjects == 4
    cover = render_html(report).split("</header>")[0]
    assert '<span class="n">1</span> <span class="word">writer reboot</span>' in cover
    assert '<span class="n">3</span> <span class="word">application-coordinated changes' in cover


def test_cover_states_the_sampling_window_beside_the_headline_figures() -> None:
    report = _sample("demo")
    window = report.series.window
    assert window is not None
    facts = read_facts(SAMPLES / "demo" / "facts.json")
    assert facts.sampling is not None
    assert window.started_at == facts.sampling.started_at
    assert window.ended_at == facts.sampling.ended_at
    assert window.intervals == report.estimates.wal.current_bytes_per_s.intervals  # type: ignore[union-attr]
    cover = render_html(report).split("</header>")[0]
    label = (
        f"rates measured over {fmt_seconds(window.seconds)} from "
        f"{window.started_at:%Y-%m-%d %H:%M} UTC ({window.intervals} intervals)"
    )
    assert label in cover


def test_decision_block_suggests_from_the_verdict_and_lists_conditions() -> None:
    report = _sample("demo", change_ref="CHG-4711 <b>")
    page = render_html(report)
    block = page.split('id="approval"')[1].split("</section>")[0]
    suggested = SUGGESTED_DECISION[report.verdict]
    assert (
        f'<span class="choice suggested"><span class="box" aria-hidden="true"></span> {suggested}'
        in block
    )
    assert "CHG-4711 &lt;b&gt;" in block
    critical = report.counts["critical"]
    assert f"Fix the {critical} blockers above and audit again." in block
    assert f"{len(report.not_evaluated)} checks could not run" in block
    assert "Signature" in block


def test_change_ref_reaches_the_report_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli(
        "analyze",
        str(SAMPLES / "demo" / "facts.json"),
        "--out",
        str(out),
        "--format",
        "json,html",
        "--change-ref",
        "CHG-2041",
        "--fail-on",
        "never",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "report.json").read_text())["change_ref"] == "CHG-2041"
    assert '<code class="ident">CHG-2041</code>' in (out / "report.html").read_text()


def test_collection_issues_without_hints_have_no_hint_column() -> None:
    plain = build(
        realistic_findings(3),
        collection_issues=[{"family": "slots", "reason": "denied", "hint": None}],
    )
    hinted = build(
        realistic_findings(3),
        collection_issues=[{"family": "slots", "reason": "denied", "hint": "grant pg_monitor"}],
    )
    assert '<th scope="col">Hint</th>' not in render_html(plain)
    assert '<th scope="col">Hint</th>' in render_html(hinted)


def test_durations_below_a_second_read_in_milliseconds() -> None:
    assert [fmt_seconds(v) for v in (0, 0.00078, 0.0123, 0.5, 0.9996, 18)] == [
        "0 s",
        "< 1 ms",
        "12.3 ms",
        "500 ms",
        "1 s",
        "18 s",
    ]
