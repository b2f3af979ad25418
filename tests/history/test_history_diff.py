"""diff_reports: a pure function of two report.json documents (the demo sample, edited)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from history_support import DEMO, demo_report, edited, finding

from audit.engine import Severity
from audit.history.diff import diff_reports
from audit.history.documents import ReportFileError, read_report


def _without(document: dict[str, Any], code: str, subject: str) -> dict[str, Any]:
    kept = [f for f in document["findings"] if (f["code"], f["subject"]) != (code, subject)]
    return edited(document, findings=kept)


def _with(document: dict[str, Any], *extra: dict[str, Any]) -> dict[str, Any]:
    return edited(document, findings=[*document["findings"], *extra])


def _metric(changes: Any, name: str, subject: str | None = None) -> Any:
    return next(m for m in changes.metrics if (m.name, m.subject) == (name, subject))


def test_a_report_against_itself_changes_nothing() -> None:
    report = demo_report()
    changes = diff_reports(report, report, "before.json")
    assert (changes.new, changes.resolved, changes.changed) == ([], [], [])
    assert changes.baseline is not None
    assert changes.baseline.report_id == report["report_id"]
    assert changes.baseline.source == "before.json"
    assert all(m.change in (0, None) for m in changes.metrics)
    assert {m.name for m in changes.metrics} >= {
        "wal_now_bytes_per_s",
        "wal_logical_bytes_per_s",
        "snapshot_seconds",
        "snapshot_retained_wal_bytes",
        "retained_wal_bytes",
        "tables",
        "table_bytes",
    }


def test_new_resolved_and_changed_are_matched_by_code_and_subject() -> None:
    before = demo_report()
    new_table = dict(finding(before, "CDC101"), subject="shop.invoices", message="shop.invoices …")
    escalated = dict(finding(before, "CDC005"), severity="critical")
    reworded = dict(finding(before, "CDC102"), message="shop.events logs 2x more WAL")
    after = _without(before, "CDC001", "setting:wal_level")
    after = _without(after, "CDC005", "setting:max_slot_wal_keep_size")
    after = _without(after, "CDC102", "shop.events")
    after = _with(after, new_table, escalated, reworded)
    changes = diff_reports(before, after, "b")
    assert [(f.code, f.subject) for f in changes.new] == [("CDC101", "shop.invoices")]
    assert [(f.code, f.subject, f.severity) for f in changes.resolved] == [
        ("CDC001", "setting:wal_level", Severity.CRITICAL)
    ]
    by_code = {c.code: c for c in changes.changed}
    assert set(by_code) == {"CDC005", "CDC102"}
    assert by_code["CDC005"].fields == ["severity"]
    assert (by_code["CDC005"].before.severity, by_code["CDC005"].after.severity) == (
        Severity.MEDIUM,
        Severity.CRITICAL,
    )
    assert by_code["CDC102"].fields == ["message"]
    assert by_code["CDC102"].after.message == "shop.events logs 2x more WAL"


def test_a_second_finding_with_the_same_code_and_subject_is_new() -> None:
    before = demo_report()
    twin = finding(before, "CDC204")
    changes = diff_reports(before, _with(before, twin), "b")
    assert [(f.code, f.subject) for f in changes.new] == [("CDC204", twin["subject"])]
    assert changes.resolved == changes.changed == []


def test_regressions_count_new_and_risen_findings_at_the_threshold_only() -> None:
    before = demo_report()
    new_low = dict(finding(before, "CDC101"), subject="shop.x", severity="low")
    new_waived = dict(finding(before, "CDC101"), subject="shop.y", waived=True)
    risen = dict(finding(before, "CDC102"), severity="high")
    still_critical = dict(finding(before, "CDC001"), message="wal_level is minimal")
    after = _without(before, "CDC102", "shop.events")
    after = _without(after, "CDC001", "setting:wal_level")
    after = _with(after, new_low, new_waived, risen, still_critical)
    changes = diff_reports(before, after, "b")
    assert [(f.code, f.subject) for f in changes.regressions(Severity.HIGH)] == [
        ("CDC102", "shop.events")
    ]
    assert changes.regressions(Severity.CRITICAL) == []
    # medium -> high was already at or above low: not a regression at that threshold
    assert [f.subject for f in changes.regressions(Severity.LOW)] == ["shop.x"]
    unwaived = diff_reports(
        _with(before, new_waived), _with(before, dict(new_waived, waived=False)), "b"
    )
    assert [c.fields for c in unwaived.changed] == [["waived"]]
    assert [f.subject for f in unwaived.regressions(Severity.CRITICAL)] == ["shop.y"]


def test_figures_carry_before_after_change_and_ratio() -> None:
    before = demo_report()
    after = json.loads(json.dumps(before))
    wal = after["estimates"]["wal"]["current_bytes_per_s"]
    wal["window_mean"] = before["estimates"]["wal"]["current_bytes_per_s"]["window_mean"] * 2
    after["inventory"]["slots"][0]["retained_bytes"] += 1024
    after["inventory"]["slots"].append(dict(after["inventory"]["slots"][0], name="debezium"))
    after["estimates"]["snapshot"]["status"] = "unavailable"
    after["inventory"]["tables"] = after["inventory"]["tables"][:-1]
    changes = diff_reports(before, after, "b")
    now = _metric(changes, "wal_now_bytes_per_s")
    assert now.after == 2 * now.before and now.change == now.before and now.ratio == 1.0
    slot = _metric(changes, "retained_wal_bytes", "standby_decommissioned")
    assert slot.change == 1024
    added = _metric(changes, "retained_wal_bytes", "debezium")
    assert added.before is None and added.after is not None and added.change is None
    snapshot = _metric(changes, "snapshot_seconds")
    assert snapshot.before is not None and snapshot.after is None and snapshot.change is None
    assert _metric(changes, "tables").change == -1
    assert _metric(changes, "table_bytes").change < 0


def test_the_changes_json_names_code_and_subject_of_every_finding() -> None:
    before = demo_report()
    after = _without(before, "CDC001", "setting:wal_level")
    document = json.loads(diff_reports(before, after, "b").model_dump_json())
    assert set(document) == {"baseline", "new", "resolved", "changed", "metrics"}
    assert document["resolved"][0]["code"] == "CDC001"
    assert document["resolved"][0]["subject"] == "setting:wal_level"
    assert {"before", "after", "change"} <= set(document["metrics"][0])


def test_a_directory_reads_its_report_json_and_other_input_is_a_usage_error(
    tmp_path: Path,
) -> None:
    assert read_report(DEMO)["report_id"] == demo_report()["report_id"]
    with pytest.raises(ReportFileError, match=r"looks like a facts\.json"):
        read_report(DEMO / "facts.json")
    only_facts = tmp_path / "out"
    only_facts.mkdir()
    (only_facts / "facts.json").write_text("{}")
    with pytest.raises(ReportFileError, match=r"holds no report\.json \(written with --format"):
        read_report(only_facts)
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            edited(
                demo_report(), findings=[{"code": "CDC001", "subject": "s", "severity": "severe"}]
            )
        )
    )
    with pytest.raises(ReportFileError, match=r"findings\[0\].severity 'severe'"):
        read_report(bad)
    bad.write_text("{not json")
    with pytest.raises(ReportFileError, match="is not JSON"):
        read_report(bad)
    with pytest.raises(ReportFileError, match="no such file"):
        read_report(tmp_path / "missing.json")
