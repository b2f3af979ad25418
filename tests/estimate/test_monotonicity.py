"""Property tests: the model never moves the wrong way."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.engine import get_profile
from audit.estimate import estimate_all
from audit.facts import Sampling, WalSample
from tests.factories import GIB, NOW, facts, lsn, table
from tests.factories import settings as pg_settings

FAST = settings(max_examples=40, deadline=None)


def _facts(
    upd: int, hot: int, dele: int, identity: str = "default", heap: int = GIB, wal: int = 50 * 2**20
) -> object:
    start = NOW - timedelta(seconds=60)
    samples = [
        WalSample(at=start, lsn=lsn(0x5000000), xact_commit=0),
        WalSample(at=start + timedelta(seconds=30), lsn=lsn(0x5000000 + wal // 3), xact_commit=50),
        WalSample(at=NOW, lsn=lsn(0x5000000 + wal), xact_commit=100),
    ]
    deltas = {
        "public.t": {
            "n_tup_ins": 10,
            "n_tup_upd": upd,
            "n_tup_del": dele,
            "n_tup_hot_upd": min(hot, upd),
        }
    }
    sampling = Sampling(
        started_at=start,
        ended_at=NOW,
        interval_seconds=30,
        requested_seconds=60,
        methods=["lsn"],
        samples=samples,
        table_deltas=deltas,
    )
    t = table(
        replica_identity=identity,
        avg_row_bytes=500.0,
        row_width_source="pg_stats",
        heap_bytes=heap,
        reltuples=heap / 600,
    )
    return facts(
        tables=[t], sampling=sampling, settings=pg_settings(max_slot_wal_keep_size="10240")
    )


def _ratio(f: object) -> float:
    est = estimate_all(f, get_profile("debezium"))  # type: ignore[arg-type]
    assert est.wal.logical_bytes_per_s.expected is not None
    return est.wal.logical_bytes_per_s.expected


counts = st.integers(min_value=0, max_value=100_000)


@FAST
@given(upd=counts, hot=counts, dele=counts, more=st.integers(min_value=1, max_value=50_000))
def test_more_updates_never_mean_less_wal(upd: int, hot: int, dele: int, more: int) -> None:
    assert _ratio(_facts(upd + more, hot + more, dele)) >= _ratio(_facts(upd, hot, dele))
    assert _ratio(_facts(upd + more, hot, dele)) >= _ratio(_facts(upd, hot, dele))


@FAST
@given(upd=counts, hot=counts, dele=counts)
def test_full_never_less_than_default(upd: int, hot: int, dele: int) -> None:
    assert _ratio(_facts(upd, hot, dele, "full")) >= _ratio(_facts(upd, hot, dele, "default"))


@FAST
@given(heap=st.integers(min_value=2**20, max_value=2**40), factor=st.floats(1.0, 100.0))
def test_bigger_tables_never_snapshot_faster(heap: int, factor: float) -> None:
    small = estimate_all(_facts(0, 0, 0, heap=heap), get_profile("debezium"))  # type: ignore[arg-type]
    big = estimate_all(_facts(0, 0, 0, heap=int(heap * factor)), get_profile("debezium"))  # type: ignore[arg-type]
    assert big.snapshot.seconds is not None and small.snapshot.seconds is not None
    for end in ("low", "expected", "high"):
        assert getattr(big.snapshot.seconds, end) >= getattr(small.snapshot.seconds, end)


@FAST
@given(wal=st.integers(min_value=2**20, max_value=2**34), factor=st.floats(1.0, 50.0))
def test_higher_wal_rate_never_longer_runway(wal: int, factor: float) -> None:
    slow = estimate_all(_facts(100, 50, 10, wal=wal), get_profile("debezium"))  # type: ignore[arg-type]
    fast = estimate_all(_facts(100, 50, 10, wal=int(wal * factor)), get_profile("debezium"))  # type: ignore[arg-type]
    assert fast.runway.hours is not None and slow.runway.hours is not None
    for end in ("low", "expected", "high"):
        assert getattr(fast.runway.hours, end) <= getattr(slow.runway.hours, end)
