"""The change-stream estimate (pgoutput protocol sizes) and what the decoding probe feeds in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from audit.engine import get_profile
from audit.estimate import EstimateOptions, estimate_all
from audit.estimate.defaults import WALSENDER_DECODE_BYTES_PER_S
from audit.estimate.probed import WALSENDER_SHARE
from audit.facts import ReplicaIdentity
from audit.facts.capacity import DecodingProbe, ReadProbe, ReadProbeTable
from tests.factories import NOW, facts, sampling, table

MIB = 1024**2


def _probe(text: float = 100.0, key_text: float = 4.0) -> ReadProbe:
    return ReadProbe(
        started_at=NOW,
        ended_at=NOW,
        max_bytes=MIB,
        max_seconds=1.0,
        chunk_rows=1024,
        statement_timeout_ms=5000,
        tables=[
            ReadProbeTable(
                table="public.t",
                key_columns=["id"],
                chunk_rows=1024,
                chunk_seconds=[0.01],
                chunk_row_counts=[1024],
                avg_row_bytes=120.0,
                avg_key_bytes=8.0,
                avg_text_bytes=text,
                avg_key_text_bytes=key_text,
                stopped_by="end_of_table",
            )
        ],
    )


def _stream(delta: dict[str, int], identity: ReplicaIdentity = ReplicaIdentity.DEFAULT) -> Any:
    f = facts(
        tables=[table(replica_identity=identity, column_count=5)],
        sampling=sampling(seconds=300, table_deltas={"public.t": delta}),
        read_probe=_probe(),
    )
    return estimate_all(f, get_profile("debezium")).change_stream


def test_an_insert_is_the_header_the_columns_and_the_row_text() -> None:
    est = _stream({"n_tup_ins": 600, "n_tup_upd": 0, "n_tup_del": 0})
    # 6 header + 2 column count + 5 x 5 per column + row text (100 - 5 commas/parentheses - 1)
    assert est.bytes_per_s is not None
    assert est.bytes_per_s.expected == pytest.approx(600 * (6 + 2 + 25 + 94) / 300)
    assert est.events_per_s == pytest.approx(2.0)
    assert est.bytes_per_s.low < est.bytes_per_s.expected < est.bytes_per_s.high


def test_a_delete_sends_the_key_and_one_null_byte_per_other_column() -> None:
    est = _stream({"n_tup_ins": 0, "n_tup_upd": 0, "n_tup_del": 300})
    assert est.bytes_per_s is not None
    # 6 + 2 + one key column (5 + 4 B of text) + 4 other columns as 'n'
    assert est.bytes_per_s.expected == pytest.approx(300 * (6 + 2 + 5 + 4 + 4) / 300)


def test_an_update_under_full_also_sends_the_old_row() -> None:
    default = _stream({"n_tup_ins": 0, "n_tup_upd": 300, "n_tup_del": 0})
    full = _stream({"n_tup_ins": 0, "n_tup_upd": 300, "n_tup_del": 0}, ReplicaIdentity.FULL)
    assert default.bytes_per_s is not None and full.bytes_per_s is not None
    assert default.bytes_per_s.expected == pytest.approx(6 + 2 + 25 + 94)
    # the old row: 'O' + column count + 5 per column + its text
    assert full.bytes_per_s.expected == pytest.approx(6 + 2 + 25 + 94 + 1 + 2 + 25 + 94)


def test_without_the_read_probe_the_stored_width_less_its_header_is_scaled() -> None:
    f = facts(
        tables=[table(column_count=5, avg_row_bytes=124.0)],
        sampling=sampling(
            seconds=300, table_deltas={"public.t": {"n_tup_ins": 300, "n_tup_upd": 0}}
        ),
    )
    est = estimate_all(f, get_profile("debezium")).change_stream
    assert est.bytes_per_s is not None
    # pg_stats width 124 (x0.9-1.15), less the 24 B tuple header, x 0.8-2 as text
    assert est.bytes_per_s.expected == pytest.approx(6 + 2 + 25 + 100)
    assert est.bytes_per_s.low == pytest.approx(33 + (124 * 0.9 - 24) * 0.8)
    assert est.bytes_per_s.high == pytest.approx(33 + (124 * 1.15 - 24) * 2)


def _decoding(**overrides: Any) -> DecodingProbe:
    values: dict[str, Any] = {
        "started_at": NOW - timedelta(seconds=12),
        "ended_at": NOW,
        "slot_name": "cdc_preflight_probe_1",
        "plugin": "pgoutput",
        "publication": "dbz_publication",
        "span_seconds": 10.0,
        "max_changes": 200_000,
        "wal_bytes": 40 * MIB,
        "decoded_wal_bytes": 40 * MIB,
        "decode_seconds": 0.5,
        "messages": 3000,
        "events": 1000,
        "transactions": 1000,
        "output_bytes": 200_000,
        "by_type": {"B": 1000, "C": 1000, "I": 1000},
        "slot_dropped": True,
    }
    values.update(overrides)
    return DecodingProbe(**values)


def test_the_decoding_probe_replaces_the_modelled_stream_and_decode_rate() -> None:
    est = estimate_all(facts(decoding_probe=_decoding()), get_profile("debezium"))
    stream = est.change_stream
    assert "measured by the decoding probe" in stream.method
    assert stream.events_per_s == pytest.approx(100.0)
    assert stream.bytes_per_s is not None
    assert stream.bytes_per_s.expected == pytest.approx(20_000)
    assert "model_bytes_per_s" in stream.inputs  # the model's figure stays for comparison
    decoding = est.decoding
    assert "measured by the decoding probe" in decoding.method
    assert decoding.capacity_bytes_per_s is not None
    measured = 80 * MIB  # 40 MiB in 0.5 s
    assert decoding.capacity_bytes_per_s.low == pytest.approx(measured * WALSENDER_SHARE.low)
    assert decoding.capacity_bytes_per_s.high == pytest.approx(measured * WALSENDER_SHARE.high)
    assert decoding.capacity_bytes_per_s.high <= measured  # never above the SQL path


def test_a_truncated_peek_counts_only_the_span_it_decoded() -> None:
    probe = _decoding(truncated=True, decoded_wal_bytes=10 * MIB)  # a quarter of the span
    stream = estimate_all(facts(decoding_probe=probe), get_profile("debezium")).change_stream
    assert stream.events_per_s == pytest.approx(1000 / 2.5)


def test_test_decoding_measures_events_but_not_pgoutput_bytes() -> None:
    probe = _decoding(plugin="test_decoding", publication=None, output_bytes=999_999)
    modelled = estimate_all(facts(), get_profile("debezium")).change_stream
    stream = estimate_all(facts(decoding_probe=probe), get_profile("debezium")).change_stream
    assert stream.events_per_s == pytest.approx(100.0)
    assert stream.bytes_per_s == modelled.bytes_per_s


@pytest.mark.parametrize(
    "probe",
    [
        _decoding(decoded_wal_bytes=1 * MIB, wal_bytes=1 * MIB),  # too little WAL to time
        _decoding(error="canceling statement due to statement timeout", decode_seconds=None),
    ],
    ids=["too-little-wal", "failed"],
)
def test_an_unusable_probe_leaves_the_default_decode_rate(probe: DecodingProbe) -> None:
    decoding = estimate_all(facts(decoding_probe=probe), get_profile("debezium")).decoding
    assert decoding.capacity_bytes_per_s is not None
    assert decoding.capacity_bytes_per_s.as_dict() == pytest.approx(
        WALSENDER_DECODE_BYTES_PER_S.as_dict(), rel=1e-5
    )
    assert "measured by the decoding probe" not in decoding.method


def test_the_option_wins_over_the_probe() -> None:
    options = EstimateOptions(walsender_decode_bytes_per_s=5 * MIB)
    est = estimate_all(facts(decoding_probe=_decoding()), get_profile("debezium"), options)
    assert est.decoding.capacity_bytes_per_s is not None
    assert est.decoding.capacity_bytes_per_s.expected == 5 * MIB


@pytest.mark.parametrize("probe", [None, _decoding()], ids=["default", "probed"])
def test_the_snapshot_catch_up_decodes_at_the_rate_the_decoding_load_uses(
    probe: DecodingProbe | None,
) -> None:
    """One decode rate per report: CDC504's load and the snapshot's catch-up read the same."""
    est = estimate_all(facts(decoding_probe=probe), get_profile("debezium"))
    assert est.decoding.capacity_bytes_per_s is not None
    used = est.snapshot.inputs["walsender_decode_bytes_per_s"]
    assert used == pytest.approx(est.decoding.capacity_bytes_per_s.as_dict(), rel=1e-5)
