"""One recommended value per setting, shared by every figure that depends on it; tables that
write no WAL stay out of the WAL and change-stream figures."""

from __future__ import annotations

from datetime import timedelta

from audit.engine import get_profile
from audit.estimate import EstimateOptions, estimate_all
from audit.facts import Sampling, WalSample
from audit.units import GIB, MIB
from tests.factories import NOW, facts, lsn, setting, settings, slot, table

DELTA = {"n_tup_ins": 600, "n_tup_upd": 300, "n_tup_del": 100, "n_tup_hot_upd": 200}


def _sampling(deltas: dict[str, dict[str, int]], wal_bytes: int = 50 * MIB) -> Sampling:
    samples = [
        WalSample(at=NOW - timedelta(seconds=100), lsn=lsn(0x5000000), xact_commit=0),
        WalSample(at=NOW, lsn=lsn(0x5000000 + wal_bytes), xact_commit=1000),
    ]
    return Sampling(
        started_at=samples[0].at,
        ended_at=samples[-1].at,
        interval_seconds=100,
        requested_seconds=100,
        methods=["lsn"],
        samples=samples,
        table_deltas=deltas,
    )


def test_unlogged_and_temporary_tables_stay_out_of_wal_and_change_figures() -> None:
    logged = table("public.orders", n_tup_upd=300)
    unlogged = table("public.cache", unlogged=True)
    deltas = {"public.orders": DELTA, "public.cache": DELTA, "pg_temp_3.scratch": DELTA}
    with_unlogged = estimate_all(
        facts(tables=[logged, unlogged], sampling=_sampling(deltas)), get_profile("debezium")
    )
    alone = estimate_all(
        facts(tables=[logged], sampling=_sampling({"public.orders": DELTA})),
        get_profile("debezium"),
    )
    stream = with_unlogged.change_stream
    assert [r.table for r in stream.per_table] == ["public.orders"]
    assert stream.excluded == ["pg_temp_3.scratch", "public.cache"]
    assert stream.events_per_s == alone.change_stream.events_per_s == 10.0
    assert stream.bytes_per_s == alone.change_stream.bytes_per_s
    assert any("public.cache" in a for a in stream.assumptions)
    wal = with_unlogged.wal
    assert [r.table for r in wal.per_table] == ["public.orders"]
    assert wal.logical_bytes_per_s.band == alone.wal.logical_bytes_per_s.band
    assert wal.logical_overhead_ratio.band == alone.wal.logical_overhead_ratio.band
    # the snapshot never copies it either
    assert [r.table for r in with_unlogged.snapshot.per_table] == ["public.orders"]


def test_every_setting_has_one_recommendation_in_both_forms() -> None:
    f = facts(
        tables=[table(heap_bytes=4 * GIB, reltuples=4e7)],
        sampling=_sampling({"public.t": DELTA}),
        settings=settings(max_slot_wal_keep_size="-1", max_wal_size="2048", wal_level="replica"),
    )
    recs = estimate_all(f, get_profile("debezium")).recommendations
    names = [s.name for s in recs.settings]
    assert len(names) == len(set(names))
    assert {"wal_level", "max_replication_slots", "max_wal_senders"} <= set(names)
    assert {"max_slot_wal_keep_size", "wal_sender_timeout"} <= set(names)
    keep = recs.setting("max_slot_wal_keep_size")
    assert keep is not None and keep.ok and keep.recommended_bytes is not None
    gigabytes = keep.recommended_bytes // GIB
    assert keep.recommended == f"{gigabytes}GB"
    assert keep.parameter_group_value == str(gigabytes * 1024)  # MB, as parameter groups take it
    assert gigabytes >= 8  # at least 4 x max_wal_size (2 GB)
    assert (keep.current, keep.change_needed, keep.restart) == ("-1", True, False)
    wal_level = recs.setting("wal_level")
    assert wal_level is not None
    assert (wal_level.recommended, wal_level.restart, wal_level.change_needed) == (
        "logical",
        True,
        True,
    )
    assert recs.setting("rds.logical_replication") is None  # self-managed: not an RDS parameter
    # the heartbeat is sized on the recommended limit, not on an assumed one
    assert recs.heartbeat.inputs["max_slot_wal_keep_size_bytes"] == keep.recommended_bytes
    assert "recommended max_slot_wal_keep_size" in (recs.heartbeat.method or "")


def test_rds_gets_the_parameter_group_forms() -> None:
    rds = facts(settings=settings({"rds.logical_replication": "off"}, wal_level="replica"))
    rds = rds.model_copy(
        update={"server": rds.server.model_copy(update={"is_rds": True})}  # type: ignore[union-attr]
    )
    recs = estimate_all(rds, get_profile("dms")).recommendations
    logical = recs.setting("rds.logical_replication")
    assert logical is not None
    assert (logical.recommended, logical.parameter_group_value, logical.restart) == (
        "on",
        "1",
        True,
    )
    wal_level = recs.setting("wal_level")
    assert wal_level is not None
    assert (wal_level.parameter_group_name, wal_level.parameter_group_value) == (
        "rds.logical_replication",
        "1",
    )


def test_slot_and_sender_floors_follow_the_capacity_plan_options() -> None:
    f = facts(
        slots=[slot("a"), slot("b")],
        settings=settings(max_replication_slots="4", max_wal_senders="10"),
    )
    default = estimate_all(f, get_profile("debezium")).recommendations
    slots = default.setting("max_replication_slots")
    assert slots is not None and (slots.needed, slots.recommended) == ("4", "4")
    assert slots.change_needed is False
    bigger = estimate_all(
        f, get_profile("debezium"), EstimateOptions(planned_connectors=3, spare_slots=2)
    ).recommendations
    slots = bigger.setting("max_replication_slots")
    senders = bigger.setting("max_wal_senders")
    assert slots is not None and senders is not None
    assert (slots.needed, slots.recommended, slots.change_needed) == ("7", "7", True)
    assert (senders.needed, senders.recommended, senders.change_needed) == ("7", "10", False)
    assert slots.staged is None


def test_staged_values_are_reported_beside_the_running_one() -> None:
    staged = setting("max_wal_senders", "4", pending_value="20", pending_restart=True)
    f = facts(settings=settings(max_wal_senders=staged))
    senders = estimate_all(f, get_profile("debezium")).recommendations.setting("max_wal_senders")
    assert senders is not None and (senders.current, senders.staged) == ("4", "20")


def test_wal_sender_timeout_keeps_a_good_value_and_replaces_zero() -> None:
    good = facts(settings=settings(wal_sender_timeout="30000"))
    zero = facts(settings=settings(wal_sender_timeout="0"))
    keep = estimate_all(good, get_profile("dms")).recommendations.setting("wal_sender_timeout")
    fix = estimate_all(zero, get_profile("dms")).recommendations.setting("wal_sender_timeout")
    assert keep is not None and fix is not None
    assert (keep.recommended, keep.change_needed) == ("30s", False)
    assert (fix.recommended, fix.parameter_group_value, fix.change_needed) == ("60s", "60000", True)
