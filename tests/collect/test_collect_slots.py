"""The slots family: a physical and a logical slot on a wal_level=logical server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from audit.demo.localpg import LocalPostgres
from audit.facts import Facts, Slot

pytestmark = pytest.mark.pg


@pytest.fixture
def slot_db(pg_logical: LocalPostgres, make_db: Callable[[LocalPostgres], str]) -> Iterator[str]:
    """A database with a physical slot ``<db>_phys`` and a logical slot ``<db>_logical``."""
    dbname = make_db(pg_logical)
    with pg_logical.connect(dbname) as conn:
        conn.execute("SELECT pg_create_physical_replication_slot(%s, true)", [f"{dbname}_phys"])
        conn.execute(
            "SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", [f"{dbname}_logical"]
        )
        conn.execute("CREATE TABLE wal_maker AS SELECT g FROM generate_series(1, 1000) AS g")
    yield dbname
    with pg_logical.connect(dbname) as conn:
        for kind in ("phys", "logical"):
            conn.execute("SELECT pg_drop_replication_slot(%s)", [f"{dbname}_{kind}"])


def slots_of(facts: Facts, dbname: str) -> dict[str, Slot]:
    assert facts.slots is not None, facts.issues
    return {
        s.slot_name.removeprefix(f"{dbname}_"): s
        for s in facts.slots
        if s.slot_name.startswith(dbname)
    }


def test_slot_rows_and_retention(
    pg_logical: LocalPostgres, slot_db: str, collect_from: Callable[..., Facts]
) -> None:
    facts = collect_from(pg_logical, slot_db)
    slots = slots_of(facts, slot_db)
    assert sorted(slots) == ["logical", "phys"]
    phys, logical = slots["phys"], slots["logical"]
    major = pg_logical.version_num // 10000

    assert (phys.slot_type, phys.plugin, phys.database, phys.temporary, phys.active) == (
        "physical", None, None, False, False,
    )  # fmt: skip
    assert (logical.slot_type, logical.plugin, logical.database) == ("logical", "pgoutput", slot_db)
    assert (logical.temporary, logical.active, logical.active_pid) == (False, False, None)
    assert phys.wal_status == logical.wal_status == "reserved"
    assert phys.confirmed_flush_lsn is None
    assert logical.confirmed_flush_lsn is not None
    assert logical.two_phase is (False if major >= 14 else None)
    assert logical.catalog_xmin is not None
    assert logical.catalog_xmin_age is not None
    assert logical.catalog_xmin_age >= 0
    assert phys.catalog_xmin is phys.catalog_xmin_age is phys.xmin_age is None
    if major >= 16:
        assert logical.conflicting is False
    else:
        assert logical.conflicting is None
    if major >= 17:
        assert logical.inactive_since is not None
        assert (logical.failover, logical.synced, logical.invalidation_reason) == (
            False,
            False,
            None,
        )
    else:
        assert (logical.inactive_since, logical.failover, logical.synced) == (None, None, None)

    assert facts.current_wal_lsn is not None
    with pg_logical.connect(slot_db) as conn:
        for slot in (phys, logical):
            row = conn.execute(
                "SELECT pg_wal_lsn_diff(%s::pg_lsn, restart_lsn)::bigint, restart_lsn::text"
                " FROM pg_replication_slots WHERE slot_name = %s",
                [facts.current_wal_lsn, slot.slot_name],
            ).fetchone()
            assert row == (slot.retained_bytes, slot.restart_lsn)
            assert slot.retained_bytes is not None
            assert slot.retained_bytes > 0


def test_no_slots_is_an_empty_list_not_unknown(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    facts = collect_from(pg_server, fresh_db)
    assert facts.slots == []
    assert facts.issue_for("slots") is None
