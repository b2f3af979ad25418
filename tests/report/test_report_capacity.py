"""The capacity plan: headline figures, charts and their workings, from the estimates."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from pydantic import ValidationError
from report_factory import HOSTILE, build, estimates_json, realistic_estimates, sample_facts

from audit.estimate.model import Estimates
from audit.report import render_html
from audit.report.capacity import brief, build_capacity, flatten, slot_limit
from audit.report.charts import (
    BarRow,
    Reference,
    Trace,
    bar_chart,
    byte_scale,
    line_chart,
    nice_step,
    tick_values,
    time_scale,
)
from audit.report.environment import environment
from audit.report.render import _render_page
from audit.report.series import Series, build_series
from audit.units import fmt_bytes, fmt_rate, fmt_seconds, fmt_share, size_setting
from rules import _units as rule_units

GIB = 1024**3


def _headlines(estimates: Estimates, series: Series | None = None) -> dict[str, Any]:
    capacity = build_capacity(estimates, series or Series())
    return {h.key: h for h in capacity.headlines}


def test_headline_figures_carry_value_range_and_method() -> None:
    heads = _headlines(realistic_estimates())
    assert (heads["wal_now"].value, heads["wal_now"].detail) == (
        "287 KiB/s",
        "workload p50 267 KiB/s, p95 518 KiB/s",
    )
    assert heads["wal_now"].method == "pg_current_wal_lsn() deltas, 10 intervals"
    assert heads["wal_logical"].value == "295 KiB/s"
    # the workload's spread and the model's uncertainty, each labelled, never one mixed range
    assert heads["wal_logical"].detail == (
        "workload p50 275 KiB/s, p95 533 KiB/s; model 292 KiB/s – 302 KiB/s"
    )
    assert (heads["overhead"].value, heads["overhead"].detail) == (
        "+3.0 %",
        "model 1.6 % – 5.2 % more WAL",
    )
    assert heads["snapshot"].detail.startswith("model ")
    assert heads["retained"].detail.startswith("workload and model ")
    assert heads["snapshot"].value == "17.9 s"
    assert heads["snapshot"].method == "debezium_initial, 9 tables, 30.2 MiB heap + TOAST, 1 worker"
    assert heads["retained"].value == "5.3 MiB"
    assert "no limit: max_slot_wal_keep_size = -1; free disk space is unknown" in (
        heads["retained"].detail
    )
    runway = heads["runway"]
    assert not runway.available
    assert runway.value == "unavailable"
    assert runway.detail == "max_slot_wal_keep_size = -1; free disk space is unknown"


def test_unavailable_estimates_say_why_and_never_show_a_number() -> None:
    raw = estimates_json()
    reason = "no WAL position, pg_stat_wal, CloudWatch or row-change data was sampled"
    gone = {"status": "unavailable", "reason": "the rate is unavailable"}
    raw["wal"] = {
        "current_bytes_per_s": {"status": "unavailable", "reason": reason},
        "predictor": "unavailable",
        "logical_bytes_per_s": gone,
        "logical_overhead_ratio": {"status": "unavailable"},
        "recommended_identities": gone,
    }
    estimates = realistic_estimates(raw)
    heads = _headlines(estimates)
    for key in ("wal_now", "wal_logical", "overhead"):
        assert heads[key].value == "unavailable"
        assert not re.search(r"\d", heads[key].value)
    assert heads["wal_now"].method == reason
    assert heads["overhead"].method == "the overhead is unavailable"
    html = render_html(build([], estimates=estimates, the_facts=sample_facts(sampling=None)))
    section = html[html.index('id="fig-wal-rate"') : html.index('id="fig-wal-logical"')]
    assert f"<strong>Unavailable:</strong> no per-interval rate was sampled: {reason}" in section


def test_retained_wal_against_a_known_limit_is_flagged() -> None:
    raw = estimates_json()
    raw["runway"] = {
        "status": "ok",
        "hours": {"low": 5.0, "expected": 10.0, "high": 20.0},
        "limit": "max_slot_wal_keep_size",
        "limits": {
            "max_slot_wal_keep_size": {"status": "ok", "limit_bytes": 4 * 1024**2},
            "disk": {"status": "ok", "limit_bytes": 50 * GIB},
        },
    }
    estimates = realistic_estimates(raw)
    heads = _headlines(estimates)
    assert heads["retained"].tone == "bad"  # expected 5.3 MiB > 4 MiB
    assert "limit 4 MiB (max_slot_wal_keep_size)" in heads["retained"].detail
    assert heads["runway"].value == "10 h"
    assert heads["runway"].tone == "warn"
    assert slot_limit(estimates.runway).bytes == 4 * 1024**2
    figure = next(f for f in build_capacity(estimates, Series()).figures if f.id == "retention")
    assert figure.chart is not None
    labels = [line.label for line in figure.chart.lines]  # type: ignore[union-attr]
    assert "max_slot_wal_keep_size 4 MiB" in labels
    assert "at the high end the slot would be invalidated or the disk fill" in figure.lead


def test_infinite_catch_up_is_not_drawn_and_is_said() -> None:
    raw = estimates_json()
    snapshot = raw["snapshot"]
    snapshot["retained_wal_bytes"]["high"] = None  # report.json writes infinity as null
    snapshot["catch_up_seconds"]["high"] = None
    estimates = realistic_estimates(raw)
    assert estimates.snapshot.retained_wal_bytes is not None
    assert estimates.snapshot.retained_wal_bytes.high == float("inf")
    capacity = build_capacity(estimates, Series())
    heads = {h.key: h for h in capacity.headlines}
    assert "1.59 MiB – unbounded" in heads["retained"].detail
    figure = next(f for f in capacity.figures if f.id == "retention")
    assert figure.chart is not None
    notes = [n.label for n in figure.chart.notes]  # type: ignore[union-attr]
    assert "High end: the consumer never catches up (not drawn)." in notes


def test_wal_rate_chart_is_a_step_line_with_p50_p95_and_the_logical_rate() -> None:
    series = build_series(sample_facts())
    assert series.wal_rate is not None and len(series.wal_rate.points) == 10
    figure = build_capacity(realistic_estimates(), series).figures[0]
    chart = figure.chart
    assert chart is not None and chart.kind == "lines"
    step = chart.lines[0].path  # type: ignore[union-attr]
    assert step.startswith("M62.0 ")
    assert step.count("H") + step.count(" L") == 10  # one horizontal run per interval
    labels = [line.label for line in chart.lines if line.label]  # type: ignore[union-attr]
    assert labels == ["p95 518 KiB/s", "under logical 295 KiB/s", "p50 267 KiB/s"]
    boxes = [line.label_box for line in chart.lines if line.label]  # type: ignore[union-attr]
    for (_, y1, _, _), (_, y2, _, _) in itertools.pairwise(boxes):
        assert abs(y1 - y2) >= 13  # labels never overlap
    assert figure.head == ["Interval end (s)", "WAL written per second"]
    assert len(figure.rows) == 10
    assert not figure.print_table


def test_top_table_charts_rank_tables_and_keep_hostile_names_inert() -> None:
    capacity = build_capacity(realistic_estimates(), Series())
    figures = {f.id: f for f in capacity.figures}
    extra = figures["tables-extra-wal"].chart
    assert extra is not None
    assert extra.bars[0].title == HOSTILE["script"]  # type: ignore[union-attr]
    changes = figures["tables-changes"].chart
    assert changes is not None
    assert [b.title for b in changes.bars][:2] == ["public.order_items", HOSTILE["script"]]  # type: ignore[union-attr]
    snapshot = figures["snapshot-tables"]
    assert snapshot.chart is not None
    assert len(snapshot.chart.bars) == 9  # type: ignore[union-attr]
    assert figures["tables-extra-wal"].same_workings_as == 2  # the logical-rate workings
    html = _render_page(build([]), "pdf", None)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_top_tables_are_capped_and_the_rest_pointed_to() -> None:
    raw = estimates_json()
    raw["change_stream"]["per_table"] = [
        {"table": f"public.t{i:02d}", "events_per_s": float(100 - i), "bytes_per_s": None}
        for i in range(25)
    ]
    estimates = realistic_estimates(raw)
    figure = next(
        f for f in build_capacity(estimates, Series()).figures if f.id == "tables-changes"
    )
    assert figure.chart is not None and len(figure.chart.bars) == 10  # type: ignore[union-attr]
    assert figure.more == "15 more tables changed: see tables.csv and report.json."


def test_the_same_svg_is_in_the_html_and_the_pdf_page(report: Any) -> None:
    html = render_html(report)
    pdf_html = _render_page(report, "pdf", None)
    svgs = re.findall(r"<svg class=\"chart\".*?</svg>", html, re.S)
    assert len(svgs) == 6
    assert svgs == re.findall(r"<svg class=\"chart\".*?</svg>", pdf_html, re.S)
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
        assert "var(" not in svg  # WeasyPrint's SVG renderer does not see CSS


def test_workings_are_collapsed_in_html_and_listed_in_pdf(report: Any) -> None:
    html = render_html(report)
    pdf_html = _render_page(report, "pdf", None)
    assert "<summary>Method, inputs and assumptions</summary>" in html
    assert "<summary>Method, inputs and assumptions</summary>" not in pdf_html
    assert '<div class="workings">' in pdf_html
    assert "<code>window_seconds</code> = 20" in pdf_html


def test_recommended_settings_render_the_recommendation_objects() -> None:
    estimates = realistic_estimates()
    capacity = build_capacity(estimates, Series())
    recs = {r.setting: r for r in capacity.recommendations}
    for setting in estimates.recommendations.settings:
        row = recs[setting.name]
        assert (row.current.split(" ")[0], row.value) == (setting.current, setting.recommended)
        assert row.restart == ("restart" if setting.restart else "reload")
    assert recs["max_replication_slots"].value == "3"
    assert recs["max_replication_slots"].note.startswith("needs ≥ 3;")
    keep = recs["max_slot_wal_keep_size"]
    assert (keep.current, keep.value, keep.parameter_group) == ("-1", "4GB", "4096")
    assert recs["heartbeat.interval.ms"].value == "70000"
    assert recs["heartbeat.interval.ms"].note == "70 s"
    assert recs["incremental.snapshot.chunk.size"].note == "default 1024"


def test_unknown_estimate_keys_are_rejected() -> None:
    raw = estimates_json()
    raw["future_estimate"] = {"status": "ok"}
    with pytest.raises(ValidationError):
        realistic_estimates(raw)


def test_flatten_reads_ranges_and_nested_inputs() -> None:
    assert flatten(
        {"a": {"low": 1.0, "expected": 2.0, "high": 3.0}, "b": {"c": None, "d": [1]}}
    ) == [
        ("a", "2 (1 – 3)"),
        ("b.c", "null"),
        ("b.d", "1"),
    ]
    assert brief("free disk space is unknown (PostgreSQL cannot report it): set x") == (
        "free disk space is unknown"
    )


@pytest.mark.parametrize(
    ("maximum", "step", "ticks"),
    [
        (633, 200, [0, 200, 400, 600, 800]),
        (20.0009, 5, [0, 5, 10, 15, 20]),
        (0.8, 0.2, [0, 0.2, 0.4, 0.6000000000000001, 0.8]),
        (0, 1, [0, 1]),
    ],
)
def test_nice_ticks(maximum: float, step: float, ticks: list[float]) -> None:
    assert nice_step(maximum) == step
    assert tick_values(maximum) == ticks


def test_scales_and_units() -> None:
    assert byte_scale(600 * 1024).unit == "KiB"
    assert byte_scale(3 * GIB).unit == "GiB"
    assert time_scale(120).unit == "s"
    assert time_scale(600).unit == "min"
    assert (fmt_bytes(5_556_200), fmt_rate(302_590), fmt_seconds(235), fmt_share(0.0297)) == (
        "5.3 MiB",
        "295 KiB/s",
        "3.92 min",
        "3.0 %",
    )
    assert fmt_seconds(float("inf")) == "never"
    # one formatter for the report and the rules' messages: the same size reads the same
    assert rule_units.fmt_bytes is fmt_bytes and rule_units.fmt_duration is fmt_seconds
    assert size_setting(5 * GIB) == ("5GB", "5120")
    assert size_setting(512 * 1024**2) == ("512MB", "512")


def test_chart_geometry_stays_inside_the_view_box() -> None:
    rows = [BarRow(HOSTILE["long"], 10.0, 5.0, 40.0), BarRow("b", 0.0)]
    chart = bar_chart(
        "c", "t", "d", rows, scale=byte_scale(40), axis_label="x", value_text=fmt_bytes
    )
    assert chart.bars[0].label.startswith("public.customer_") and "…" in chart.bars[0].label
    assert len(chart.bars[0].label) == 32
    assert chart.bars[0].title == HOSTILE["long"]
    for bar in chart.bars:
        assert chart.left <= bar.x1 <= chart.right
        assert bar.text_x < chart.width
    lines = line_chart(
        "l",
        "t",
        "d",
        [Trace([(0, 0), (10, 5)], "#000", None, "a")],
        x_scale=time_scale(10),
        y_scale=byte_scale(5),
        x_label="x",
        y_label="y",
        references=[Reference(8, "limit", "#f00", "4 2")],
    )
    numbers = [
        float(n) for n in re.findall(r"-?\d+\.?\d*", " ".join(line.path for line in lines.lines))
    ]
    assert all(0 <= n <= lines.width for n in numbers)


def test_bar_values_sit_on_their_bars_and_the_workload_spread_is_drawn_apart() -> None:
    rows = [
        BarRow("long bar, wide model range", 900.0, 500.0, 1_000.0, spread=(400.0, 950.0)),
        BarRow("short bar, long whisker", 30.0, 10.0, 600.0),
        BarRow("short bar, no whisker", 30.0),
    ]
    chart = bar_chart(
        "c", "t", "d", rows, scale=byte_scale(1_000.0), axis_label="x", value_text=fmt_rate
    )
    wide, whiskered, bare = chart.bars
    # inside the bar, right-aligned at its end: not at the end of the whisker
    assert wide.text_place == "inside" and wide.text_x < wide.x1
    assert wide.high_x is not None and wide.text_x < wide.high_x
    assert (wide.spread_x0, wide.spread_x1) != (wide.low_x, wide.high_x)
    # a bar too short to hold its value: just past the bar, on a white ground over the whisker
    assert whiskered.text_place == "after" and whiskered.x1 < whiskered.text_x < 300
    assert bare.text_place == "after" and bare.text_x == round(bare.x1 + 5, 2)
    svg = str(environment().get_template("_charts.html.j2").module.bar_chart(chart))  # type: ignore[attr-defined]
    assert 'text-anchor="end" fill="#1d2939">900 B/s</text>' in svg
