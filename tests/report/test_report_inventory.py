"""The inventory: per-table matrix, settings, slots, publications, AWS; tables.csv; series."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from report_factory import HOSTILE, build, finding, realistic_estimates, sample_facts

from audit.facts import Sampling, WalSample
from audit.facts.aws import AwsMetricSeries
from audit.report import render_csv, render_html
from audit.report.inventory import build_inventory
from audit.report.matrix import HTML_TABLES, PDF_TABLES, setting_value, table_matrix
from audit.report.render import _render_page
from audit.report.series import build_series
from audit.report.tables_csv import COLUMNS
from tests.aws.builders import aurora_aws, aurora_facts, with_member
from tests.factories import NOW, facts, lsn, publication, table


def _tables(the_facts: object) -> dict[str, object]:
    inventory = build_inventory(the_facts, realistic_estimates())  # type: ignore[arg-type]
    return {t.name: t for t in inventory.tables or []}


def test_table_rows_join_the_estimates_and_use_window_shares() -> None:
    tables = _tables(sample_facts())
    busy = tables[HOSTILE["script"]]
    assert busy.replica_identity == "full"  # type: ignore[attr-defined]
    assert (busy.update_share, busy.delete_share, busy.share_basis) == (  # type: ignore[attr-defined]
        0.2292,
        0.25,
        "window",
    )
    assert busy.changes_per_s == 38.2483  # type: ignore[attr-defined]
    assert busy.extra_wal_bytes_per_s == 7654.35  # type: ignore[attr-defined]
    assert busy.snapshot_seconds.expected == 1.5  # type: ignore[attr-defined]
    audit = tables["public.audit_log"]
    assert (audit.update_share, audit.share_basis) == (0.0, "since statistics reset")  # type: ignore[attr-defined]
    assert audit.changes_per_s == 19.8491  # type: ignore[attr-defined]
    assert tables[HOSTILE["emoji"]].special_columns == ["tags (array)", "price (money)"]  # type: ignore[attr-defined]
    assert tables[HOSTILE["long"]].scope == "not captured: unlogged"  # type: ignore[attr-defined]
    assert tables["public.order_items"].scope == "published: dbz_publication"  # type: ignore[attr-defined]
    assert tables["public.carts"].scope == "not in a publication"  # type: ignore[attr-defined]
    assert tables["public.page_views"].scope.startswith("partitioned")  # type: ignore[attr-defined]


def test_scope_without_publications_and_missing_families() -> None:
    inventory = build_inventory(facts(publications=[], slots=None, settings=None))
    assert inventory.tables is not None and inventory.tables[0].scope == "captured"
    assert inventory.slots is None and inventory.settings is None
    schema_pub = publication("p", all_tables=False, schemas=["public"], tables=[])
    by_schema = build_inventory(facts(publications=[schema_pub]))
    assert by_schema.tables is not None and by_schema.tables[0].scope == "published: p"
    assert build_inventory(facts(tables=None)).tables is None


def test_settings_show_running_staged_and_required_values() -> None:
    inventory = build_inventory(sample_facts(), realistic_estimates())
    settings = {s.name: s for s in inventory.settings or []}
    wal = settings["wal_level"]
    assert (wal.value, wal.configured, wal.required, wal.pending_restart) == (
        "replica",
        "logical",
        "logical",
        True,
    )
    assert settings["max_replication_slots"].required == "≥ 3"
    assert settings["max_slot_wal_keep_size"].required == "4GB"
    assert setting_value("16384", "8kB") == "128 MiB"
    assert setting_value("-1", "MB") == "-1"
    assert setting_value("60000", "ms") == "60000 ms"


def test_matrix_puts_findings_first_and_is_capped_with_a_pointer_to_the_csv() -> None:
    many = [table(f"public.t{i:04d}", heap_bytes=i * 8192) for i in range(2_100)]
    report = build(
        [finding("CDC101", "public.t0007"), finding("CDC203", "public.t0003")],
        the_facts=sample_facts(tables=many),
        estimated=False,
    )
    pdf = table_matrix(report, PDF_TABLES, set())
    assert (pdf.total, pdf.shown, pdf.more) == (2_100, 100, 2_000)
    assert [r.name for r in pdf.rows[:3]] == ["public.t0007", "public.t0003", "public.t2099"]
    assert pdf.rows[0].fix.startswith("ALTER TABLE public.t0007 ADD PRIMARY KEY (id); …")
    assert len(table_matrix(report, HTML_TABLES, set()).rows) == 2_000
    pdf_html = _render_page(report, "pdf", None)
    assert "The 100 tables with the most impact of 2100" in pdf_html
    assert "2000 more tables in tables.csv." in pdf_html
    assert "100 more tables in tables.csv." in render_html(report)
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert len(rows) == 2_101
    assert tuple(rows[0]) == COLUMNS


def test_csv_has_every_column_neutralises_formulas_and_is_deterministic() -> None:
    formula = 'public."=HYPERLINK(""http://evil"")"'
    the_facts = sample_facts(tables=[*sample_facts().tables, table("@evil.x")])  # type: ignore[misc]
    report = build(
        [finding("CDC101", "public.carts"), finding("CDC101", "@evil.x")], the_facts=the_facts
    )
    text = render_csv(report)
    assert text == render_csv(report)
    rows = {r["table"]: r for r in csv.DictReader(io.StringIO(text))}
    assert "'@evil.x" in rows
    assert formula not in text
    carts = rows["public.carts"]
    assert carts["findings"] == "CDC101 (critical)"
    assert carts["fix"].startswith("ALTER TABLE public.carts ADD PRIMARY KEY (id);\n")
    assert carts["update_share"] == "1"
    assert rows[HOSTILE["script"]]["extra_wal_bytes_per_s"] == "7654.35"
    assert rows[HOSTILE["long"]]["unlogged"] == "true"


def test_series_from_lsn_then_pg_stat_wal_then_cloudwatch() -> None:
    series = build_series(sample_facts())
    assert series.wal_rate is not None and series.wal_rate.method == "lsn"
    assert series.wal_rate.points[0].seconds == 2.0
    assert series.wal_rate.points[0].value == 633 * 1024
    assert series.row_changes is not None and series.row_changes.points[0].value == 75.0
    start = NOW - timedelta(seconds=10)
    samples = [
        WalSample(at=start, wal_bytes=1000),
        WalSample(at=start + timedelta(seconds=5), wal_bytes=6000),
        WalSample(at=start + timedelta(seconds=10), wal_bytes=5000),  # reset: skipped
    ]
    by_stats = build_series(
        facts(
            sampling=Sampling(
                started_at=start,
                ended_at=NOW,
                interval_seconds=5,
                requested_seconds=10,
                samples=samples,
            )
        )
    )
    assert by_stats.wal_rate is not None
    assert by_stats.wal_rate.method == "pg_stat_wal"
    assert [p.value for p in by_stats.wal_rate.points] == [1000.0]
    metric = AwsMetricSeries(
        metric="TransactionLogsGeneration",
        dimensions={},
        statistic="Average",
        period_seconds=300,
        points=[(NOW - timedelta(minutes=5), 2048.0), (NOW, 4096.0)],
    )
    cloud = build_series(aurora_facts(aurora_aws(metrics=[metric]), sampling=None))
    assert cloud.wal_rate is not None and cloud.wal_rate.method == "cloudwatch"
    assert [p.seconds for p in cloud.wal_rate.points] == [300.0, 600.0]  # period ends
    assert build_series(facts(sampling=None)).wal_rate is None
    one = Sampling(
        started_at=NOW,
        ended_at=NOW,
        interval_seconds=1,
        requested_seconds=1,
        samples=[WalSample(at=NOW, lsn=lsn(1))],
    )
    assert build_series(facts(sampling=one)).wal_rate is None


def test_aws_inventory_is_shown_only_when_present_and_labelled_simulated() -> None:
    aws = with_member(aurora_aws(simulated=True), "orders-2", cluster_pg_status="pending-reboot")
    report = build([], the_facts=aurora_facts(aws))
    html = render_html(report)
    section = html[html.index('id="inv-aws"') :]
    assert "Aurora cluster" in section and "SIMULATED" in section
    assert "<code>orders-1</code></td><td>writer" in section
    assert "pending-reboot" in section
    assert "<code>rds.<wbr>logical_<wbr>replication</code></td><td>1</td>" in section
    plain = build([], the_facts=sample_facts())
    assert 'id="inv-aws"' not in render_html(plain)


def test_slots_and_publications_render_and_empty_families_say_so() -> None:
    html = render_html(build([]))
    slots = html[html.index('id="inv-slots"') : html.index('id="inv-publications"')]
    assert "<code>standby_<wbr>decommissioned</code>" in slots and "77 MiB" in slots
    pubs = html[html.index('id="inv-publications"') :]
    assert "<code>dbz_<wbr>publication</code></td><td>1 table" in pubs
    empty = render_html(
        build([], the_facts=sample_facts(slots=[], publications=None, settings=None))
    )
    assert "No replication slots." in empty
    assert "Publications were not collected." in empty
    assert "Settings were not collected" in empty


def test_csv_cells_left_to_the_writer_read_back_as_cell_writes_them() -> None:
    from audit.estimate.result import Range
    from audit.report.inventory import InventoryTable
    from audit.report.tables_csv import _cell, row

    edge = InventoryTable(
        name="-x.y",
        kind="ordinary",
        scope="=captured",
        primary_key=["id", "=k"],
        replica_identity="default",
        rows=1e16,  # a float written in exponent form past 1e15
        heap_bytes=10**17,  # an int is written in full
        toast_bytes=None,
        index_bytes=0,
        total_bytes=10**17,
        update_share=0.123456789,
        changes_per_s=3.0,
        snapshot_seconds=Range(1.5, 2.0, 1e20),
        toastable_columns=[],
        special_columns=None,
        can_select=None,
        row_security=False,
    )
    written = io.StringIO()
    csv.writer(written, lineterminator="\n").writerow(row(edge, {}))
    cells = next(csv.reader(io.StringIO(written.getvalue())))
    values = [getattr(edge, f) for f in ("name", "kind", "parent", "scope", "unlogged")]
    assert (
        cells[:5] == [_cell(v) for v in values] == ["'-x.y", "ordinary", "", "'=captured", "false"]
    )
    assert cells[5] == "id; =k"
    assert cells[8:13] == ["1e+16", str(10**17), "", "0", str(10**17)]
    assert cells[16] == "0.123457" and cells[18] == "3"
    assert cells[20:23] == ["2", "1.5", "1e+20"]
    assert cells[23:] == ["", "", "", "false", "", ""]
