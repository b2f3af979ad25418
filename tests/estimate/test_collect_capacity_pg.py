"""The capacity collectors on real servers: the read probe keeps its caps and writes nothing;
pg_walinspect records come back grouped (PostgreSQL 15 and 18)."""

from __future__ import annotations

import pytest

from audit.collect.read_probe import run_read_probe
from audit.collect.walinspect import WalInspectUnavailable, collect_walinspect
from audit.demo.localpg import LocalPostgres
from audit.facts import ReplicaIdentity, Table
from audit.facts.lsn import Lsn

pytestmark = pytest.mark.pg

ROWS = 60_000


def _table(conn: object, name: str = "probe_t") -> Table:
    heap = conn.execute("SELECT pg_relation_size(%s)", (name,)).fetchone()[0]  # type: ignore[attr-defined]
    return Table(
        schema_name="public",
        name=name,
        qualified_name=f"public.{name}",
        replica_identity=ReplicaIdentity.DEFAULT,
        primary_key=["id"],
        heap_bytes=heap,
        toast_bytes=0,
        reltuples=float(ROWS),
        can_select=True,
    )


@pytest.fixture
def probe_db(pg_server: LocalPostgres, fresh_db: str) -> str:
    with pg_server.connect(fresh_db) as conn:
        conn.execute("CREATE TABLE probe_t (id bigint PRIMARY KEY, v text)")
        conn.execute(
            "INSERT INTO probe_t SELECT g, repeat('x', 200) FROM generate_series(1, %s) g", (ROWS,)
        )
        conn.execute("CREATE TABLE nokey (v int)")
        conn.execute("INSERT INTO nokey SELECT generate_series(1, 100000)")
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE EXTENSION pg_walinspect")
        conn.execute(f"CREATE ROLE {fresh_db}_reader LOGIN PASSWORD 'pw'")
        conn.execute(f"GRANT SELECT ON probe_t, nokey TO {fresh_db}_reader")
        conn.execute(f"ALTER ROLE {fresh_db}_reader SET default_transaction_read_only = on")
    return fresh_db


def _state(server: LocalPostgres, db: str) -> tuple[str, tuple[object, ...]]:
    with server.connect(db) as conn:
        conn.execute("CHECKPOINT")  # flushes WAL: pg_walinspect reads only flushed WAL
        lsn = conn.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()
        stats = conn.execute(
            "SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables ORDER BY relid"
        ).fetchall()
    assert lsn is not None
    return lsn[0], tuple(stats)


def _written(server: LocalPostgres, db: str, start: str, end: str) -> list[tuple[str, str]]:
    """Row changes and commits logged between two positions (on-access page pruning by any
    reader, standby snapshots and checkpoints are not writes of the probe)."""
    if start == end:
        return []
    with server.connect(db) as conn:
        rows = conn.execute(
            "SELECT resource_manager, record_type FROM pg_get_wal_records_info(%s, %s) "
            "WHERE resource_manager = 'Transaction' OR (resource_manager = 'Heap' "
            "AND record_type NOT LIKE 'INPLACE%%') OR record_type LIKE 'MULTI_INSERT%%'",
            (start, end),
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


def test_read_probe_respects_byte_cap_and_writes_nothing(
    pg_server: LocalPostgres, probe_db: str
) -> None:
    import psycopg

    with pg_server.connect(probe_db) as conn:
        tables = [_table(conn), _table(conn, "nokey").model_copy(update={"primary_key": None})]
    before = _state(pg_server, probe_db)
    conninfo = pg_server.conninfo(probe_db, user=f"{probe_db}_reader", password="pw")
    with psycopg.connect(conninfo) as conn:
        probe = run_read_probe(conn, tables, max_bytes=2 * 2**20, max_seconds=30, chunk_rows=512)
    after = _state(pg_server, probe_db)
    assert after[1] == before[1]  # no row changes
    assert _written(pg_server, probe_db, before[0], after[0]) == []  # no heap, no commit
    assert probe.skipped == {"public.nokey": "no primary key to read in keyset chunks"}
    result = probe.tables[0]
    assert result.stopped_by == "bytes"
    assert result.avg_row_bytes is not None and result.avg_row_bytes > 200
    # stops at the first chunk boundary past the cap
    assert (result.rows - 512) * result.avg_row_bytes < 2 * 2**20
    assert result.chunk_row_counts[0] == 512
    # the text form over chunk 0 (ids 1-512): "(id,<200 x>)", what pgoutput sends as text
    digits = (9 * 1 + 90 * 2 + 413 * 3) / 512
    assert result.avg_key_text_bytes == pytest.approx(digits)
    assert result.avg_text_bytes == pytest.approx(200 + 3 + digits)


def test_read_probe_respects_time_cap_and_statement_timeout(
    pg_server: LocalPostgres, probe_db: str
) -> None:
    with pg_server.connect(probe_db, autocommit=False) as conn:
        tables = [_table(conn)]
        conn.rollback()
        probe = run_read_probe(conn, tables, max_bytes=2**40, max_seconds=0.05, chunk_rows=64)
        assert probe.tables[0].stopped_by in ("time", "end_of_table")
        assert probe.tables[0].seconds < 1.0
        full = run_read_probe(conn, tables, max_bytes=2**40, max_seconds=60, chunk_rows=8192)
        assert full.tables[0].stopped_by == "end_of_table"
        assert full.tables[0].rows == ROWS


def test_collect_walinspect_groups_records(pg_server: LocalPostgres, fresh_db: str) -> None:
    with pg_server.connect(fresh_db) as conn:
        conn.execute("CREATE EXTENSION pg_walinspect")
        conn.execute("CREATE TABLE w (id int PRIMARY KEY, v int)")
        conn.execute("INSERT INTO w SELECT g, 0 FROM generate_series(1, 100) g")
        start = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        for i in range(1, 11):
            conn.execute("UPDATE w SET v = v + 1 WHERE id = %s", (i,))
        conn.execute("DELETE FROM w WHERE id = 50")
        end = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert start is not None and end is not None
        result = collect_walinspect(conn, Lsn(start[0]), Lsn(end[0]))
    assert result.lsn_bytes > 0 and not result.truncated
    by_type = {(g.record_type, g.relation): g for g in result.groups}
    updates = sum(
        g.records for (t, rel), g in by_type.items() if rel == "public.w" and "UPDATE" in t
    )
    assert updates == 10
    assert by_type[("DELETE", "public.w")].records == 1
    assert sum(g.records for g in result.groups if g.record_type == "COMMIT") >= 11


def test_collect_walinspect_says_why_when_the_extension_is_missing(
    pg_server: LocalPostgres, fresh_db: str
) -> None:
    with (
        pg_server.connect(fresh_db) as conn,
        pytest.raises(WalInspectUnavailable, match="not installed"),
    ):
        collect_walinspect(conn, Lsn("0/0"), Lsn("0/1000"))
