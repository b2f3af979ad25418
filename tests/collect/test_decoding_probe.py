"""The opt-in decoding probe against real servers: what it measures, that its temporary slot
exists during the span and never after, and that it refuses where it must not run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from audit.collect.decoding_probe import SLOT_PREFIX, ProbeRequest, run_decoding_probe
from audit.demo.localpg import LocalPostgres
from audit.facts import Facts

pytestmark = pytest.mark.pg


def probe_slots(server: LocalPostgres) -> list[tuple[Any, ...]]:
    with server.connect() as conn:
        return conn.execute(
            "SELECT slot_name, temporary, plugin FROM pg_replication_slots WHERE slot_name LIKE %s",
            (SLOT_PREFIX + "%",),
        ).fetchall()


@pytest.fixture
def shop(pg_logical: LocalPostgres, make_db: Callable[[LocalPostgres], str]) -> str:
    dbname = make_db(pg_logical)
    with pg_logical.connect(dbname) as conn:
        conn.execute("CREATE TABLE public.orders (id bigint PRIMARY KEY, note text)")
        conn.execute("INSERT INTO public.orders SELECT g, 'x' FROM generate_series(1, 100) g")
        conn.execute("CREATE PUBLICATION shop_pub FOR TABLE public.orders")
    return dbname


def _writer(server: LocalPostgres, dbname: str, seen: list[list[tuple[Any, ...]]]) -> Any:
    """A progress callback: at the first second of the span, note the probe's slot and write
    500 rows (one transaction) and 20 updates (20 transactions)."""
    done = threading.Event()

    def progress(message: str) -> None:
        if message.startswith("decoding probe: 1/") and not done.is_set():
            done.set()
            seen.append(probe_slots(server))
            with server.connect(dbname) as conn:
                conn.execute(
                    "INSERT INTO public.orders SELECT g, 'y' FROM generate_series(101, 600) g"
                )
                for i in range(1, 21):
                    conn.execute("UPDATE public.orders SET note = 'z' WHERE id = %s", (i,))

    return progress


def test_the_probe_measures_the_pgoutput_stream_and_drops_its_slot(
    pg_logical: LocalPostgres, shop: str, collect_from: Callable[..., Facts]
) -> None:
    seen: list[list[tuple[Any, ...]]] = []
    facts = collect_from(
        pg_logical,
        shop,
        read_probe=False,
        decoding_probe=ProbeRequest(seconds=3, publication="shop_pub"),
        progress=_writer(pg_logical, shop, seen),
    )
    probe = facts.decoding_probe
    assert probe is not None, facts.issues
    # during the span: one temporary pgoutput slot, ours
    assert seen == [[(probe.slot_name, True, "pgoutput")]]
    assert probe.slot_name.startswith(SLOT_PREFIX)
    # after: gone, dropped explicitly
    assert probe_slots(pg_logical) == []
    assert probe.slot_dropped and probe.error is None
    assert probe.plugin == "pgoutput" and probe.publication == "shop_pub"
    assert probe.by_type["I"] == 500 and probe.by_type["U"] == 20
    assert probe.events == 520
    assert probe.transactions == 21 and probe.by_type["C"] == 21
    assert probe.output_bytes > 520 * 10
    assert probe.wal_bytes and probe.decoded_wal_bytes == probe.wal_bytes
    assert probe.decode_seconds is not None and probe.span_seconds >= 3
    assert not probe.truncated


def test_without_a_publication_test_decoding_counts_the_events(
    pg_logical: LocalPostgres, shop: str, collect_from: Callable[..., Facts]
) -> None:
    seen: list[list[tuple[Any, ...]]] = []
    facts = collect_from(
        pg_logical,
        shop,
        read_probe=False,
        decoding_probe=ProbeRequest(seconds=2),
        progress=_writer(pg_logical, shop, seen),
    )
    probe = facts.decoding_probe
    assert probe is not None, facts.issues
    assert seen[0][0][2] == "test_decoding"
    assert probe.plugin == "test_decoding" and probe.events == 520
    assert probe_slots(pg_logical) == []


def test_max_changes_bounds_the_peek(pg_logical: LocalPostgres, shop: str) -> None:
    seen: list[list[tuple[Any, ...]]] = []
    probe = run_decoding_probe(
        pg_logical.conninfo(shop),
        ProbeRequest(seconds=2, publication="shop_pub", max_changes=100),
        _writer(pg_logical, shop, seen),
    )
    # the peek stops at the first transaction boundary past 100 messages: the 500-row INSERT
    assert probe.truncated
    assert probe.events < 520
    assert probe_slots(pg_logical) == []


def test_a_statement_timeout_in_the_peek_still_drops_the_slot(
    pg_logical: LocalPostgres, shop: str
) -> None:
    seen: list[list[tuple[Any, ...]]] = []
    probe = run_decoding_probe(
        pg_logical.conninfo(shop),
        ProbeRequest(seconds=2, publication="shop_pub", peek_timeout_ms=1),
        _writer(pg_logical, shop, seen),
    )
    assert seen and seen[0]  # the slot existed
    assert probe.error is not None and "statement timeout" in probe.error
    assert probe.slot_dropped
    assert probe_slots(pg_logical) == []


def test_a_slot_that_cannot_be_created_in_time_is_an_issue(
    pg_logical: LocalPostgres, shop: str, collect_from: Callable[..., Facts]
) -> None:
    """Creating a logical slot waits for running transactions: one is kept open."""
    with psycopg.connect(pg_logical.conninfo(shop)) as blocker:
        blocker.execute("INSERT INTO public.orders VALUES (100000, 'open')")  # an xid, open
        facts = collect_from(
            pg_logical,
            shop,
            read_probe=False,
            decoding_probe=ProbeRequest(seconds=1, create_timeout_ms=1000),
        )
        blocker.rollback()
    assert facts.decoding_probe is None
    (issue,) = [i for i in facts.issues if i.family == "decoding_probe"]
    assert "could not create its slot" in issue.reason and "statement timeout" in issue.reason
    assert probe_slots(pg_logical) == []


def test_refused_at_wal_level_replica(
    pg_server: LocalPostgres,
    make_db: Callable[[LocalPostgres], str],
    collect_from: Callable[..., Facts],
) -> None:
    facts = collect_from(
        pg_server, make_db(pg_server), read_probe=False, decoding_probe=ProbeRequest(seconds=1)
    )
    assert facts.decoding_probe is None
    (issue,) = [i for i in facts.issues if i.family == "decoding_probe"]
    assert issue.reason == (
        "the decoding probe was not run: it needs wal_level=logical and the server has "
        "wal_level=replica (nothing was created)"
    )


def test_refused_for_a_role_without_replication(
    pg_logical: LocalPostgres,
    shop: str,
    audit_role: Callable[..., tuple[str, str]],
    collect_from: Callable[..., Facts],
) -> None:
    user, password = audit_role(pg_logical, shop, "IN ROLE pg_monitor")
    facts = collect_from(
        pg_logical,
        shop,
        user=user,
        password=password,
        read_probe=False,
        decoding_probe=ProbeRequest(seconds=1),
    )
    assert facts.decoding_probe is None
    (issue,) = [i for i in facts.issues if i.family == "decoding_probe"]
    assert f"role {user} lacks REPLICATION" in issue.reason
    assert probe_slots(pg_logical) == []


def test_a_span_out_of_bounds_is_refused() -> None:
    with pytest.raises(ValueError, match="1-600 seconds"):
        ProbeRequest(seconds=601)
