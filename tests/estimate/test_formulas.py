"""Every formula of the capacity model against hand-computed numbers."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from audit.engine import get_profile
from audit.estimate import EstimateOptions, estimate_all
from audit.estimate import wal_bytes as wb
from audit.estimate.model import Estimates
from audit.estimate.options import RowWidthOverride
from audit.estimate.overhead import (
    Ops,
    predict_statistics,
    predict_walinspect,
    recommended_identity,
)
from audit.estimate.rate import current_wal_rate
from audit.estimate.result import Range, plain
from audit.estimate.snapshot import _makespan, catch_up_seconds
from audit.estimate.widths import row_widths
from audit.facts import ReplicaIdentity, Sampling, WalSample
from audit.facts.capacity import WalInspect, WalRecordGroup
from audit.facts.lsn import parse_lsn
from audit.units import setting_bytes
from tests.factories import GIB, NOW, facts, lsn, setting, settings, table

T_LEN = 1028.0


def _sampling(
    seconds: list[float],
    wal: list[int],
    deltas: dict[str, dict[str, int]],
    commits: int = 2000,
    rows: int = 1100,
) -> Sampling:
    start = NOW - timedelta(seconds=seconds[-1])
    samples = [
        WalSample(
            at=start + timedelta(seconds=s),
            lsn=lsn(0x5000000 + w),
            wal_bytes=w,
            xact_commit=commits * i // (len(seconds) - 1),
            tup_inserted=rows * i // (len(seconds) - 1),
            tup_updated=0,
            tup_deleted=0,
        )
        for i, (s, w) in enumerate(zip(seconds, wal, strict=True))
    ]
    return Sampling(
        started_at=samples[0].at,
        ended_at=samples[-1].at,
        interval_seconds=10,
        requested_seconds=seconds[-1],
        methods=["lsn"],
        samples=samples,
        table_deltas=deltas,
    )


def test_byte_rules() -> None:
    assert wb.same_page_update(T_LEN) == 1001  # 1028 - 27
    assert wb.delete_key(4) == 8  # 54+6+4 = 64 -> 64, minus 56
    assert wb.delete_key(8) == 16  # 68 -> 72, minus 56
    assert wb.full_update(T_LEN) == 1010 + 3  # 1028 - 18, long main-data header
    assert wb.full_delete(100) == 82  # 8 + 5 + 82 <= 255: short header
    assert wb.update_record(121) == 163
    assert wb.invalidations(10, 2) == 160 + 64
    assert wb.imaged_tuple(100) == 82
    assert wb.align(70) == 72 and wb.align(70.5) == 74.0


def test_parse_lsn() -> None:
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848


def test_current_rate_percentiles_over_intervals() -> None:
    f = facts(sampling=_sampling([0, 10, 20, 30], [0, 10_000, 30_000, 60_000], {}))
    rate = current_wal_rate(f, lambda: None)
    assert rate.method == "lsn"
    assert rate.intervals == 3
    assert rate.p50 == 2000.0
    assert rate.max == 3000.0
    assert rate.mean == 2000.0
    assert rate.window_mean == 2000.0
    assert rate.p95 == pytest.approx(2900.0)


def test_current_rate_leaves_out_empty_and_backward_intervals() -> None:
    # 0-10 s: 1000 B/s; 10-10 s: no time; 10-20 s: the position went back; 20-30.5 s: 61000 B
    f = facts(sampling=_sampling([0, 10, 10, 20, 30.5], [0, 10_000, 10_000, 5_000, 66_000], {}))
    rate = current_wal_rate(f, lambda: None)
    assert rate.intervals == 2
    assert rate.max == 61_000 / 10.5
    assert rate.p50 == rate.mean == (1000 + 61_000 / 10.5) / 2


def test_current_rate_unavailable_without_samples() -> None:
    rate = current_wal_rate(facts(sampling=None), lambda: None)
    assert rate.status == "unavailable"
    assert rate.reason


def test_statistics_predictor_hand_computed() -> None:
    deltas = {
        "public.t": {"n_tup_ins": 0, "n_tup_upd": 1000, "n_tup_del": 100, "n_tup_hot_upd": 1000}
    }
    t = table(avg_row_bytes=T_LEN, row_width_source="pg_stats")
    f = facts(tables=[t], sampling=_sampling([0, 100], [0, 10**7], deltas))
    widths = {"public.t": row_widths(t)}
    assert widths["public.t"] is not None
    p = predict_statistics(f, widths, {"public.t": ReplicaIdentity.DEFAULT}, None)  # type: ignore[arg-type]
    assert p is not None
    assert p.components["same_page_updates"].expected == 1000 * 1001
    assert p.components["delete_keys"].expected == 100 * 16  # key width unknown: 8 B
    assert p.components["commits"].expected == 1100 * 8  # xact_commit 2000 capped by 1100 rows
    full = predict_statistics(f, widths, {"public.t": ReplicaIdentity.FULL}, None)  # type: ignore[arg-type]
    assert full is not None
    assert full.components["full_old_rows"].expected == 1000 * 1013 + 100 * 1013
    assert "delete_keys" not in full.components


def test_walinspect_predictor_hand_computed() -> None:
    groups = [
        WalRecordGroup(
            resource_manager="Heap",
            record_type="HOT_UPDATE",
            relation="public.t",
            records=1000,
            record_bytes=71_000,
            fpi_bytes=0,
            aligned_bytes=72_000,
            noimage_records=1000,
            noimage_bytes=71_000,
        ),
        WalRecordGroup(
            resource_manager="Transaction",
            record_type="COMMIT",
            records=1000,
            record_bytes=34_000,
            fpi_bytes=0,
            aligned_bytes=40_000,
        ),
        WalRecordGroup(
            resource_manager="Heap",
            record_type="INSERT",
            relation="pg_catalog.pg_class",
            catalog=True,
            records=10,
            record_bytes=2000,
            fpi_bytes=0,
            aligned_bytes=2000,
        ),
    ]
    wi = WalInspect(
        start_lsn="0/0",
        end_lsn="0/1000000",
        requested_start_lsn="0/0",
        lsn_bytes=0x1000000,
        groups=groups,
    )
    t = table(avg_row_bytes=T_LEN, row_width_source="pg_stats")
    widths = {"public.t": row_widths(t, override=RowWidthOverride(tuple_bytes=T_LEN))}
    p = predict_walinspect(wi, {"public.t": t}, widths, {})  # type: ignore[arg-type]
    # 1000 records of align(65 + 1028 - 23 = 1070) = 1072 B, minus 72,000 B written
    assert p.components["updates_whole_tuple"].expected == 1000 * 1072 - 72_000
    assert p.components["commits"].expected == 8000
    assert p.components["catalog_new_cid"].expected == 640


def test_recommended_identity() -> None:
    assert recommended_identity(table(replica_identity="full")) is ReplicaIdentity.DEFAULT
    assert (
        recommended_identity(
            table(replica_identity="full", primary_key=None, unique_candidates=["u"])
        )
        is ReplicaIdentity.INDEX
    )
    assert (
        recommended_identity(
            table(replica_identity="nothing", primary_key=None, unique_candidates=[])
        )
        is ReplicaIdentity.FULL
    )


def test_ops_same_page_updates_use_newpage_counter_when_present() -> None:
    assert Ops.from_delta({"n_tup_upd": 10, "n_tup_hot_upd": 4}).same_page_updates() == Range(
        4, 4, 10
    )
    ops = Ops.from_delta({"n_tup_upd": 10, "n_tup_hot_upd": 4, "n_tup_newpage_upd": 3})
    assert ops.same_page_updates() == Range.exact(7)


def test_makespan_and_catch_up() -> None:
    assert _makespan([5, 4, 3, 3], 2) == 8
    assert _makespan([5, 4, 3], 1) == 12
    hold = Range.exact(100.0)
    zero = Range.exact(0.0)
    # 10 events/s for 100 s = 1000 events drained at 50 - 10 = 40 events/s
    assert catch_up_seconds(hold, 10.0, Range.exact(50.0), zero, Range.exact(1.0)).expected == 25.0
    never = catch_up_seconds(hold, 10.0, Range(5.0, 50.0, 60.0), zero, Range.exact(1.0))
    assert never.high == float("inf")


def test_runway_and_snapshot_from_estimate_all() -> None:
    deltas = {"public.t": {"n_tup_ins": 1000, "n_tup_upd": 0, "n_tup_del": 0, "n_tup_hot_upd": 0}}
    t = table(heap_bytes=GIB, reltuples=1e6, avg_row_bytes=1000.0, row_width_source="pg_stats")
    f = facts(
        tables=[t],
        settings=settings(max_slot_wal_keep_size="1024"),  # MB
        sampling=_sampling([0, 100], [0, 100 * 2**20], deltas, commits=1000, rows=1000),
    )
    est = estimate_all(
        f,
        get_profile("generic"),
        EstimateOptions(consumer_rows_per_s=1000, consumer_bytes_per_s=1e12),
    )
    json.dumps(est.model_dump())  # plain JSON
    rate = est.wal.current_bytes_per_s.window_mean
    assert rate == pytest.approx(2**20, rel=1e-5)
    p95 = est.runway.inputs["p95_logical_bytes_per_s"]
    assert est.runway.hours is not None
    assert est.runway.hours.expected == pytest.approx(GIB / p95 / 3600, rel=1e-4)
    assert est.runway.limit == "max_slot_wal_keep_size"
    # 1e6 rows at 1000 rows/s (the consumer is the slow side)
    assert est.snapshot.seconds is not None and est.snapshot.retained_wal_bytes is not None
    assert est.snapshot.seconds.expected == pytest.approx(1000.0)
    assert est.snapshot.retained_wal_bytes.expected >= 1000 * (rate or 0)


def test_estimates_dump_to_the_report_json_keys_and_plain_types() -> None:
    """report.json keeps its keys: a renamed field fails here (and in mypy for the readers)."""
    dumped = estimate_all(facts(), get_profile("debezium")).model_dump()
    wal = dumped["wal"]
    for key in ("p50", "p95", "mean", "max", "window_mean", "long_term", "method", "samples"):
        assert key in wal["current_bytes_per_s"]
    for key in ("low", "expected", "high", "method", "inputs", "assumptions"):
        assert key in wal["logical_bytes_per_s"]
        assert key in wal["logical_overhead_ratio"]
    assert wal["predictor"] == "statistics"
    assert {"table", "extra_bytes_per_s", "extra_bytes_per_s_recommended"} <= set(
        wal["per_table"][0]
    )
    assert {"events_per_s", "bytes_per_s", "per_table", "excluded"} <= set(dumped["change_stream"])
    for key in ("seconds", "retained_wal_bytes", "hold_seconds", "catch_up_seconds", "per_table"):
        assert key in dumped["snapshot"]
    assert {"table", "rows", "heap_toast_bytes", "seconds"} == set(
        dumped["snapshot"]["per_table"][0]
    )
    assert {"hours", "limit", "limits"} <= set(dumped["runway"])
    assert dumped["runway"]["limit"] == "max_slot_wal_keep_size"
    assert set(dumped["recommendations"]) == {
        "plan",
        "incremental_snapshot_chunk_size",
        "heartbeat",
        "settings",
    }
    assert {"name", "current", "staged", "recommended", "parameter_group_value", "restart"} <= set(
        dumped["recommendations"]["settings"][0]
    )
    _assert_plain(dumped)
    assert Estimates.model_validate(dumped).model_dump() == dumped  # reads back unchanged


def test_a_renamed_field_in_stored_estimates_is_an_error() -> None:
    dumped = estimate_all(facts(), get_profile("debezium")).model_dump()
    dumped["snapshot"]["retained_wal"] = dumped["snapshot"].pop("retained_wal_bytes")
    with pytest.raises(ValidationError):
        Estimates.model_validate(dumped)


def test_estimates_say_unavailable_instead_of_inventing() -> None:
    est = estimate_all(facts(sampling=None), get_profile("debezium"))
    assert est.wal.current_bytes_per_s.status == "unavailable"
    assert est.wal.logical_bytes_per_s.status == "unavailable"
    assert est.wal.logical_bytes_per_s.band is None
    assert est.runway.status == "unavailable"
    assert est.snapshot.retained_wal_bytes is None


def test_free_disk_option_and_unlimited_keep_size() -> None:
    f = facts(settings=settings(max_slot_wal_keep_size="-1"))
    est = estimate_all(f, get_profile("debezium"), EstimateOptions(free_disk_bytes=100 * GIB))
    assert est.runway.limit == "disk"
    assert est.runway.limits["max_slot_wal_keep_size"].status == "unavailable"


def test_plain_converts_numpy_and_non_finite() -> None:
    import numpy as np

    assert plain({"a": np.float64(1.5), "b": float("inf"), "c": (np.int64(2),)}) == {
        "a": 1.5,
        "b": None,
        "c": [2],
    }


def _assert_plain(value: Any) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _assert_plain(v)
    elif isinstance(value, list):
        for v in value:
            _assert_plain(v)
    else:
        assert value is None or type(value) in (int, float, str, bool), type(value)


def test_setting_units() -> None:
    assert setting_bytes(setting("max_slot_wal_keep_size", "1024")) == GIB
    assert setting_bytes(setting("shared_buffers", "16384")) == 128 * 2**20
    assert setting_bytes(setting("max_slot_wal_keep_size", "-1")) == -1


def test_a_server_already_at_logical_has_no_overhead_left_but_keeps_the_full_saving() -> None:
    """Its measured WAL is logical WAL: no overhead on top; FULL -> key still saves bytes."""
    deltas = {
        "public.t": {"n_tup_ins": 0, "n_tup_upd": 1000, "n_tup_del": 0, "n_tup_hot_upd": 1000}
    }
    t = table(
        avg_row_bytes=T_LEN,
        row_width_source="pg_stats",
        replica_identity=ReplicaIdentity.FULL,
        primary_key=["id"],
    )
    sampling = _sampling([0, 100], [0, 10**7], deltas)
    replica = estimate_all(
        facts(tables=[t], sampling=sampling, settings=settings(wal_level="replica")),
        get_profile("debezium"),
    )
    logical = estimate_all(
        facts(tables=[t], sampling=sampling, settings=settings(wal_level="logical")),
        get_profile("debezium"),
    )
    mean = logical.wal.current_bytes_per_s.window_mean
    assert mean is not None
    assert (replica.wal.logical_overhead_ratio.expected or 0.0) > 0.1
    assert logical.wal.logical_overhead_ratio.expected == 0.0
    assert logical.wal.logical_bytes_per_s.expected == pytest.approx(mean)
    assert "already logical" in (logical.wal.logical_bytes_per_s.method or "")
    recommended = logical.wal.recommended_identities.logical_bytes_per_s
    assert (
        recommended is not None and 0 < recommended.expected < mean
    )  # dropping FULL for the primary key saves WAL
