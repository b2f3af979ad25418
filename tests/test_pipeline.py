"""From facts to report: parameters of the audit, rule errors and waivers on the evaluation."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from audit.config import AuditConfig, Waiver, config_from_dict, load_config
from audit.demo import DEMO_CONFIG
from audit.engine import (
    Finding,
    RuleContext,
    Severity,
    Status,
    evaluate,
    find_rule,
    get_profile,
    rule,
)
from audit.facts import Facts, read_facts
from audit.pipeline import analyze, apply_waivers
from audit.report import render_html, render_json, render_markdown
from audit.report.model import build_report

DEMO = read_facts(Path(__file__).resolve().parents[1] / "sample_outputs" / "demo" / "facts.json")
DEBEZIUM = get_profile("debezium")


def test_the_demo_config_s_lowered_threshold_is_a_parameter_in_every_format() -> None:
    report = analyze(DEMO, profile=DEBEZIUM, config=load_config(DEMO_CONFIG), facts_sha256="0" * 64)
    [parameter] = [p for p in report.parameters if p.name.startswith("rules.")]
    assert parameter.model_dump() == {
        "name": "rules.CDC204.min_retained_bytes",
        "value": 16777216,
        "default": 1073741824,
        "unit": "bytes",
    }
    assert (report.parameters[0].name, report.parameters[0].value) == (
        "config",
        "cdc-preflight.toml",
    )
    as_json = json.loads(render_json(report))
    assert {"name": "rules.CDC204.min_retained_bytes", "value": 16777216,
            "default": 1073741824, "unit": "bytes"} in as_json["parameters"]  # fmt: skip
    html = render_html(report)
    assert "<h2>Parameters of this audit</h2>" in html
    assert (
        "<code>rules.CDC204.min_retained_bytes</code></td><td><code>16777216</code> bytes" in html
    )
    markdown = render_markdown(report)
    assert "### Parameters of this audit" in markdown
    assert "| rules.CDC204.min\\_retained\\_bytes | 16777216 bytes | 1073741824 |" in markdown


def test_every_kind_of_non_default_setting_is_listed_and_defaults_are_not() -> None:
    config = config_from_dict(
        {
            "select": ["CDC1", "CDC2"],
            "ignore": ["CDC105"],
            "rules": {"CDC205": {"slot_name": "orders_slot", "plugin": "pgoutput"}},
            "estimates": {"free_disk_bytes": 10_000_000_000},
            "scope": {"tables": ["shop.*"]},
            "connector": {"role": "debezium_cdc"},
            "waivers": [
                {
                    "rule": "CDC103",
                    "subject": "shop.*",
                    "reason": "cache",
                    "expires": date(2030, 1, 1),
                }
            ],
        },
        origin="audit.toml",
    )
    report = analyze(
        DEMO, profile=get_profile("dms"), config=config, facts_sha256="0" * 64, fail_on="high"
    )
    listed = {p.name: (p.value, p.default) for p in report.parameters}
    assert listed == {
        "config": ("audit.toml", None),
        "profile": ("dms", "debezium"),
        "fail_on": ("high", "critical"),
        "scope.tables": (["shop.*"], []),
        "connector.role": ("debezium_cdc", None),
        "select": (["CDC1", "CDC2"], ["CDC"]),
        "ignore": (["CDC105"], []),
        "rules.CDC205.slot_name": ("orders_slot", "debezium"),  # plugin is at its default
        "estimates.free_disk_bytes": (10_000_000_000, None),
        "waiver": ("CDC103 on shop.* (expires 2030-01-01): cache", None),
    }
    assert analyze(DEMO, profile=DEBEZIUM, config=AuditConfig(), facts_sha256="0").parameters == []
    assert "Every setting at its default" in render_html(
        analyze(DEMO, profile=DEBEZIUM, config=AuditConfig(), facts_sha256="0")
    )


def test_the_connector_role_reaches_every_check_about_the_connector() -> None:
    """[connector] role is one setting: CDC310 judges that role's timeouts."""
    from audit.facts.models import RoleSetting
    from tests.factories import facts, setting, settings, table

    # a 1 s statement_timeout set for role debezium_cdc only, and a big table to copy
    the_facts = facts(
        tables=[table("public.orders", reltuples=5e7, n_live_tup=50_000_000, heap_bytes=2e10)],
        settings=settings({"statement_timeout": setting("statement_timeout", "0", unit="ms")}),
        role_settings=[RoleSetting(role="debezium_cdc", name="statement_timeout", value="1s")],
    )

    def cdc310(config: AuditConfig) -> list[str]:
        report = analyze(the_facts, profile=DEBEZIUM, config=config, facts_sha256="0")
        return [f.subject for f in report.findings if f.code == "CDC310"]

    role = {"connector": {"role": "debezium_cdc"}}
    assert cdc310(config_from_dict(role)) == ["setting:statement_timeout"]
    assert cdc310(AuditConfig()) == []  # the auditing role has no timeout


@rule(code="CDC998", name="broken-rule", severity=Severity.HIGH, requires=())
def broken_rule(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A rule with a bug."""
    raise KeyError("missing_key")


def test_a_rule_that_raises_is_a_tool_error_not_could_not_check(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cdc001 = find_rule("CDC001")
    assert cdc001 is not None
    with caplog.at_level(logging.WARNING):
        evaluation = evaluate(DEMO, [cdc001, broken_rule], RuleContext(DEBEZIUM))
    assert evaluation.by_code("CDC998").status is Status.ERROR
    [record] = caplog.records
    assert record.getMessage() == (
        "rule CDC998 failed (a defect of cdc-preflight): KeyError: 'missing_key'"
    )
    assert record.exc_info is None  # no traceback without --debug
    report = build_report(DEMO, evaluation, DEBEZIUM, "0" * 64, rules_in_pack=2)
    assert [e.model_dump() for e in report.rule_errors] == [
        {
            "code": "CDC998",
            "rule": "broken-rule",
            "title": "A rule with a bug.",
            "error_type": "KeyError",
            "message": "'missing_key'",
        }
    ]
    assert report.not_evaluated == []
    assert [f.code for f in report.findings] == ["CDC001"]  # the run completed
    html = render_html(report)
    assert '<section id="tool-errors">' in html and "KeyError: &#39;missing_key&#39;" in html
    assert "**Tool errors:** 1 rule failed inside cdc-preflight (CDC998: KeyError)" in (
        render_markdown(report)
    )
    assert '<section id="tool-errors">' not in render_html(
        build_report(DEMO, evaluate(DEMO, [cdc001], RuleContext(DEBEZIUM)), DEBEZIUM, "0", 1)
    )


def test_waivers_mark_findings_in_the_evaluation_before_the_report() -> None:
    cdc103 = find_rule("CDC103")
    assert cdc103 is not None
    evaluation = evaluate(DEMO, [cdc103], RuleContext(DEBEZIUM))
    [finding] = evaluation.by_code("CDC103").findings
    live = Waiver(rule="unlogged-table", subject="shop.*", reason="cache")
    expired = Waiver(rule="CDC103", reason="old", expires=date(2020, 1, 1))
    waived = apply_waivers(evaluation, [expired, live], date(2026, 1, 1))
    assert waived.by_code("CDC103").findings == (
        finding.model_copy(update={"waiver_reason": "cache"}),
    )
    assert apply_waivers(evaluation, [expired], date(2026, 1, 1)) is evaluation
    report = build_report(DEMO, waived, DEBEZIUM, "0", 1)
    assert [(f.waived, f.waiver_reason) for f in report.findings] == [(True, "cache")]
    assert report.counts["waived"] == 1


def test_every_rule_of_the_run_has_a_status_and_passes_are_listed() -> None:
    rules = [find_rule(code) for code in ("CDC001", "CDC103", "CDC015", "CDC309")]
    assert all(r is not None for r in rules)
    evaluation = evaluate(DEMO, [*rules, broken_rule], RuleContext(DEBEZIUM))  # type: ignore[list-item]
    waived = apply_waivers(evaluation, [Waiver(rule="CDC103", reason="cache")], date(2026, 1, 1))
    report = build_report(DEMO, waived, DEBEZIUM, "0", 5)
    statuses = {c.code: c.status.value for c in report.checks}
    assert statuses == {
        "CDC001": "failed",
        "CDC015": "passed",
        "CDC103": "waived",
        "CDC309": statuses["CDC309"],
        "CDC998": "error",
    }
    assert statuses["CDC309"] in ("passed", "failed", "not_evaluated")
    assert next(c for c in report.checks if c.code == "CDC015").examined == ["settings"]
    html = render_html(report)
    assert '<section id="checks">' in html
    assert "<code>CDC015</code>" in html.split('<section id="checks">')[1].split("</section>")[0]
    assert "**Checks:** 5 rules run: " in render_markdown(report)


def test_failing_estimates_are_a_tool_error_and_the_report_completes(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("range out of order: 1.0, 2.0, 1.9584")

    monkeypatch.setattr("audit.pipeline.estimate_all", broken)
    with caplog.at_level(logging.WARNING):
        report = analyze(DEMO, profile=DEBEZIUM, config=AuditConfig(), facts_sha256="0")
    assert report.estimates is None
    assert [(e.code, e.error_type) for e in report.rule_errors][:1] == [("ESTIMATES", "ValueError")]
    assert report.findings  # the rules still ran
    assert "capacity estimates failed" in caplog.text
    assert "**Tool errors:**" in render_markdown(report)
