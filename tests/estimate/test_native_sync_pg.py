"""Native table sync, live: a real subscriber copies small tables from a real publisher, and the
estimate made from the publisher's collected facts brackets the measured time.

The margin is generous (a third of the low end to three times the high end): the machine
running the tests is shared and the tables are tiny, so fixed overheads dominate. The
accuracy of the model is measured by bench/native_sync_bench.py (docs/accuracy.md); this test
checks the mechanics end to end: collect, estimate, subscribe, every table ready, rows there.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from audit.collect.postgres import collect_postgres
from audit.demo.localpg import LocalPostgres
from audit.engine import get_profile
from audit.estimate import EstimateOptions, estimate_all

TABLES = 3
ROWS = 5000


def test_subscriber_sync_time_falls_inside_the_estimate(
    pg_logical: LocalPostgres,
    pg_server: LocalPostgres,
    make_db: Callable[[LocalPostgres], str],
) -> None:
    source = make_db(pg_logical)
    with pg_logical.connect(source) as conn:
        for i in range(TABLES):
            conn.execute(f"CREATE TABLE t{i} (id bigint PRIMARY KEY, v text)")
            conn.execute(
                f"INSERT INTO t{i} SELECT g, md5(g::text) FROM generate_series(1, {ROWS}) g"
            )
        conn.execute("VACUUM ANALYZE")
        conn.execute(f"CREATE PUBLICATION p FOR TABLE {', '.join(f't{i}' for i in range(TABLES))}")
    facts = collect_postgres(pg_logical.conninfo(source), sample_seconds=0)
    assert facts.read_probe is not None and facts.read_probe.tables
    estimate = estimate_all(facts, get_profile("native"), EstimateOptions(native_sync_workers=2))
    seconds = estimate.snapshot.seconds
    assert seconds is not None

    target = make_db(pg_server)
    with pg_server.connect(target) as conn:
        for i in range(TABLES):
            conn.execute(f"CREATE TABLE t{i} (id bigint PRIMARY KEY, v text)")
        began = time.monotonic()
        conn.execute(
            f"CREATE SUBSCRIPTION s CONNECTION '{pg_logical.conninfo(source)}' PUBLICATION p "
            "WITH (copy_data = true)"
        )
        try:
            while True:
                row = conn.execute(
                    "SELECT count(*) FILTER (WHERE srsubstate = 'r') FROM pg_subscription_rel"
                ).fetchone()
                assert row is not None
                if row[0] == TABLES:
                    break
                assert time.monotonic() - began < 120, "table sync did not finish in 120 s"
                time.sleep(0.02)
            measured = time.monotonic() - began
            for i in range(TABLES):
                count = conn.execute(f"SELECT count(*) FROM t{i}").fetchone()
                assert count == (ROWS,)
        finally:
            conn.execute("DROP SUBSCRIPTION s")
    assert seconds.low / 3 <= measured <= seconds.high * 3, (measured, seconds)
