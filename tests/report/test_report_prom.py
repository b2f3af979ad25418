"""metrics.prom: read back with prometheus_client's parser of the text format."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from report_factory import build, estimates_json, finding, realistic_estimates, realistic_findings

from audit.engine import Severity
from audit.history.changes import Baseline, Changes, FindingRef
from audit.report.inventory import Inventory, InventorySlot
from audit.report.model import Report
from audit.report.prom import PREFIX, render_prom
from audit.report.series import SampleWindow, Series
from audit.report.write import write_reports

BASE = {"target", "database", "profile"}


def families(report: Report) -> dict[str, list[Sample]]:
    text = render_prom(report).decode()
    parsed = {f.name: f for f in text_string_to_metric_families(text)}
    for family in parsed.values():
        assert family.type == "gauge", family.name
        assert family.documentation, family.name
        assert family.name.startswith(PREFIX)
    return {name: family.samples for name, family in parsed.items()}


def value(samples: list[Sample], **labels: str) -> float:
    found = [s.value for s in samples if labels.items() <= s.labels.items()]
    assert len(found) == 1, (labels, samples)
    return found[0]


def runway_ok() -> dict[str, Any]:
    estimates = estimates_json()
    estimates["runway"] = {
        "status": "ok",
        "method": "runway",
        "hours": {"low": 10.0, "expected": 20.5, "high": 40.0},
        "limit": "disk",
        "limits": {},
    }
    return estimates


def test_verdict_findings_and_checks_are_the_reports(report: Report) -> None:
    samples = families(report)
    verdicts = {s.labels["verdict"]: s.value for s in samples["cdc_preflight_verdict"]}
    assert verdicts == {"ready": 0, "ready_with_risks": 0, "not_ready": 1}
    assert report.verdict.value == "not_ready"
    for severity in Severity:
        count = value(samples["cdc_preflight_findings"], severity=severity.value)
        assert count == report.counts[severity.value]
    assert value(samples["cdc_preflight_findings_waived"]) == report.counts["waived"] == 1
    assert value(samples["cdc_preflight_partial"]) == 0
    assert "cdc_preflight_checks" not in samples  # this report predates the checks list
    stamp = value(samples["cdc_preflight_last_run_timestamp_seconds"])
    assert datetime.fromtimestamp(stamp, UTC) == report.generated_at
    for family in samples.values():
        for sample in family:
            assert sample.labels.keys() >= BASE
            assert sample.labels["target"] == (
                "orders-db.cluster-abc123.eu-west-1.rds.amazonaws.com:5432/orders"
            )
            assert sample.labels["scenario"] == "demo"
            assert sample.timestamp is None  # the textfile collector refuses timestamps


def test_capacity_figures_in_base_units_and_unknowns_left_out() -> None:
    estimates = realistic_estimates()
    report = build(realistic_findings(5), estimates=estimates)
    samples = families(report)
    wal = estimates.wal.current_bytes_per_s.window_mean
    assert wal is not None
    assert value(samples["cdc_preflight_wal_bytes_per_second"]) == wal
    logical = estimates.wal.logical_bytes_per_s.expected
    assert value(samples["cdc_preflight_logical_wal_bytes_per_second"]) == logical
    assert estimates.snapshot.seconds is not None
    assert value(samples["cdc_preflight_snapshot_seconds"]) == estimates.snapshot.seconds.expected
    # the demo's runway is unavailable: no sample, and the gap is stated
    assert "cdc_preflight_runway_seconds" not in samples
    available = {s.labels["estimate"]: s.value for s in samples["cdc_preflight_estimate_available"]}
    assert available == {"wal_rate": 1, "logical_wal_rate": 1, "snapshot": 1, "runway": 0}

    with_runway = build(realistic_findings(5), estimates=realistic_estimates(runway_ok()))
    samples = families(with_runway)
    assert value(samples["cdc_preflight_runway_seconds"]) == 20.5 * 3600
    assert value(samples["cdc_preflight_estimate_available"], estimate="runway") == 1

    no_estimates = families(build(realistic_findings(5), estimated=False))
    assert "cdc_preflight_wal_bytes_per_second" not in no_estimates
    unknown = no_estimates["cdc_preflight_estimate_available"]
    assert len(unknown) == 4
    assert {s.value for s in unknown} == {0.0}


def test_retained_wal_per_slot_with_hostile_slot_names() -> None:
    names = ['dbz "orders"', "back\\slash", "new\nline", "plain_slot"]
    slots = [
        InventorySlot(name=name, slot_type="logical", retained_bytes=1024 * (i + 1))
        for i, name in enumerate(names)
    ]
    slots.append(InventorySlot(name="unknown_size", slot_type="logical", retained_bytes=None))
    report = build([finding("CDC301", "x")]).model_copy(
        update={"inventory": Inventory(slots=slots)}
    )
    retained = families(report)["cdc_preflight_slot_retained_wal_bytes"]
    assert {s.labels["slot"]: s.value for s in retained} == {
        name: 1024.0 * (i + 1) for i, name in enumerate(names)
    }
    text = render_prom(report).decode()
    assert 'slot="dbz \\"orders\\""' in text
    assert 'slot="back\\\\slash"' in text
    assert 'slot="new\\nline"' in text


def test_user_labels_are_valid_names_and_never_replace_the_files_own() -> None:
    labels = {
        "team-name": "checkout",
        "9lives": "cat",
        "target": "spoof",
        "__reserved": "x",
        "env": 'p"rod\\',
    }
    samples = families(build([], labels=labels))
    sample = samples["cdc_preflight_partial"][0]
    assert sample.labels == {
        "target": "orders-db.cluster-abc123.eu-west-1.rds.amazonaws.com:5432/orders",
        "database": "orders",
        "profile": "debezium",
        "team_name": "checkout",
        "label_9lives": "cat",
        "label_target": "spoof",
        "label_reserved": "x",
        "env": 'p"rod\\',
    }
    for name in sample.labels:
        assert re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", name)


def test_durations_new_findings_and_partial() -> None:
    window = SampleWindow(
        source="sampling",
        started_at=datetime(2025, 3, 4, 9, 30, tzinfo=UTC),
        ended_at=datetime(2025, 3, 4, 9, 31, tzinfo=UTC),
        seconds=60.0,
        intervals=12,
    )
    new = FindingRef(
        code="CDC101", subject="public.t", title="t", severity=Severity.CRITICAL, message="m"
    )
    changes = Changes(
        baseline=Baseline(
            report_id="abc", generated_at=datetime(2025, 2, 25, tzinfo=UTC), source="history.db"
        ),
        new=[new, new.model_copy(update={"subject": "public.u"})],
    )
    report = build(realistic_findings(5), collection_seconds=83.25, changes=changes)
    report = report.model_copy(update={"series": Series(window=window)})
    samples = families(report)
    assert value(samples["cdc_preflight_audit_duration_seconds"]) == 83.25
    assert value(samples["cdc_preflight_sampling_window_seconds"]) == 60.0
    assert value(samples["cdc_preflight_findings_new"]) == 2
    first_run = build([], changes=Changes(baseline=None))
    assert "cdc_preflight_findings_new" not in families(first_run)  # nothing to compare with
    assert "cdc_preflight_audit_duration_seconds" not in families(first_run)  # not recorded


def test_help_text_is_the_same_in_every_file() -> None:
    """The textfile collector refuses a family whose HELP differs between two files."""

    def helps(report: Report) -> dict[str, str]:
        text = render_prom(report).decode()
        return dict(re.findall(r"^# HELP (\S+) (.*)$", text, flags=re.MULTILINE))

    one = helps(build(realistic_findings(5), host="a.example"))
    other = helps(build([finding("CDC001", "wal_level")], host="b.example", labels={"x": "y"}))
    assert {k: v for k, v in one.items() if k in other} == other


def test_write_reports_writes_metrics_prom(tmp_path: Path, small_report: Report) -> None:
    paths = write_reports(small_report, tmp_path, ["prom", "json"])
    assert paths == {"prom": tmp_path / "metrics.prom", "json": tmp_path / "report.json"}
    assert paths["prom"].read_bytes() == render_prom(small_report)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
