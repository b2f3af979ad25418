"""Sizes collected from real servers: a partitioned parent has no storage and never a
negative size, and the figures built on it (tables.csv, the snapshot) stay non-negative."""

from __future__ import annotations

import pytest

from audit.collect import collect_facts
from audit.demo.localpg import LocalPostgres
from audit.engine import get_profile
from audit.estimate import estimate_all
from audit.facts import TableKind
from audit.report.inventory import build_inventory

pytestmark = pytest.mark.pg


@pytest.fixture
def partitioned_db(pg_server: LocalPostgres, fresh_db: str) -> str:
    with pg_server.connect(fresh_db) as conn:
        conn.execute(
            "CREATE TABLE hits (id bigint, at date, url text, PRIMARY KEY (id, at)) "
            "PARTITION BY RANGE (at)"
        )
        conn.execute(
            "CREATE TABLE hits_2026 PARTITION OF hits FOR VALUES FROM ('2026-01-01') "
            "TO ('2027-01-01')"
        )
        conn.execute("CREATE TABLE hits_default PARTITION OF hits DEFAULT")
        conn.execute(
            "INSERT INTO hits SELECT g, date '2026-03-01' + g % 400, repeat('u', 50) "
            "FROM generate_series(1, 20000) g"
        )
        conn.execute("VACUUM ANALYZE")  # the parent's planner pages become -1 from here on
    return fresh_db


def test_a_partitioned_parent_has_zero_bytes_and_its_partitions_the_rest(
    pg_server: LocalPostgres, partitioned_db: str
) -> None:
    facts = collect_facts(pg_server.conninfo(partitioned_db), sample_seconds=0)
    assert facts.tables is not None, facts.issues
    tables = {t.qualified_name: t for t in facts.tables}
    parent = tables["public.hits"]
    assert parent.kind is TableKind.PARTITIONED
    assert (parent.heap_bytes, parent.toast_bytes) == (0, 0)
    assert parent.index_bytes is not None and parent.index_bytes >= 0
    for table in facts.tables:
        for size in (table.heap_bytes, table.toast_bytes, table.index_bytes, table.total_bytes):
            assert size is None or size >= 0, (table.qualified_name, size)
    assert (tables["public.hits_2026"].heap_bytes or 0) > 0
    inventory = build_inventory(facts, estimate_all(facts, get_profile("debezium")))
    row = next(t for t in inventory.tables or [] if t.name == "public.hits")
    assert row.heap_bytes == 0 and (row.total_bytes or 0) >= 0
