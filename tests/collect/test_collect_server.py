"""The server family, platform detection, and identifiers that need quoting."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from audit.demo.localpg import LocalPostgres
from audit.facts import Facts, dump_facts, parse_facts

pytestmark = pytest.mark.pg


def test_server_identity(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    facts = collect_from(pg_server, fresh_db)
    server = facts.server
    assert server is not None
    with pg_server.connect(fresh_db) as conn:
        row = conn.execute(
            "SELECT current_setting('server_version'), pg_postmaster_start_time(),"
            " current_setting('data_checksums')::bool,"
            " (SELECT system_identifier::text FROM pg_control_system())"
        ).fetchone()
    assert row is not None
    version, started_at, checksums, system_identifier = row
    assert (server.version, server.version_num) == (version, pg_server.version_num)
    assert (server.current_database, server.current_user, server.in_recovery) == (
        fresh_db, "postgres", False,
    )  # fmt: skip
    assert (server.started_at, server.data_checksums) == (started_at, checksums)
    assert server.system_identifier == system_identifier
    assert (server.is_rds, server.aurora_version) == (False, None)
    assert facts.platform.engine == "postgresql"
    assert not [i for i in facts.issues if i.family.startswith("server")]


def test_rds_and_aurora_are_recognised(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    """An rdsadmin database marks RDS; an aurora_version() function marks Aurora (simulated)."""
    with pg_server.connect(fresh_db) as conn:
        conn.execute(
            "CREATE FUNCTION aurora_version() RETURNS text LANGUAGE sql AS $$SELECT '16.4.1'$$"
        )
        conn.execute("CREATE DATABASE rdsadmin")
    try:
        facts = collect_from(pg_server, fresh_db)
    finally:
        with pg_server.connect(fresh_db) as conn:
            conn.execute("DROP DATABASE rdsadmin")
    assert facts.server is not None
    assert (facts.server.is_rds, facts.server.aurora_version) == (True, "16.4.1")
    assert facts.platform.engine == "aurora-postgresql"


HOSTILE_SQL = [
    'CREATE SCHEMA "Odd ""Schema"""',
    'CREATE TABLE "Odd ""Schema"""."with space.and dot" (id int PRIMARY KEY)',
    'CREATE TABLE "Odd ""Schema"""."<b>html</b>&amp;" (id int)',
    'CREATE TABLE "Odd ""Schema"""."MixedCase" ("Key Col" int PRIMARY KEY)',
    'CREATE TABLE "Odd ""Schema"""."🐘 émoji" (id int NOT NULL)',
    'CREATE UNIQUE INDEX "idx ""quoted""" ON "Odd ""Schema"""."🐘 émoji" (id)',
    'CREATE TABLE "Odd ""Schema"""."{}" (id int)'.format("n" * 63),
    "CREATE TABLE plain_lower (id int)",
    'CREATE TABLE "select" (id int)',
]
HOSTILE_EXPECTED = {
    '"Odd ""Schema"""."with space.and dot"': ('Odd "Schema"', "with space.and dot", ["id"]),
    '"Odd ""Schema"""."<b>html</b>&amp;"': ('Odd "Schema"', "<b>html</b>&amp;", None),
    '"Odd ""Schema"""."MixedCase"': ('Odd "Schema"', "MixedCase", ["Key Col"]),
    '"Odd ""Schema"""."🐘 émoji"': ('Odd "Schema"', "🐘 émoji", None),
    '"Odd ""Schema""".' + "n" * 63: ('Odd "Schema"', "n" * 63, None),
    "public.plain_lower": ("public", "plain_lower", None),
    'public."select"': ("public", "select", None),
}


def test_hostile_identifiers_are_collected_and_quoted(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    with pg_server.connect(fresh_db) as conn:
        for statement in HOSTILE_SQL:
            conn.execute(statement)
    facts = collect_from(pg_server, fresh_db, sample_seconds=0.2, interval=0.1)
    assert facts.tables is not None
    got = {t.qualified_name: (t.schema_name, t.name, t.primary_key) for t in facts.tables}
    assert got == HOSTILE_EXPECTED
    emoji = next(t for t in facts.tables if t.name == "🐘 émoji")
    assert emoji.unique_candidates == ['"idx ""quoted"""']
    with pg_server.connect(fresh_db) as conn:
        for qualified_name in got:  # every quoted name is valid SQL naming the same table
            conn.execute(f"SELECT count(*) FROM {qualified_name}")


def test_collected_facts_survive_the_facts_file(
    pg_server: LocalPostgres, schema_db: str, collect_from: Callable[..., Facts]
) -> None:
    """What collect_facts() returns is what analyze() reads back from facts.json."""
    facts = collect_from(pg_server, schema_db, sample_seconds=0.2, interval=0.1)
    again = parse_facts(dump_facts(facts))
    assert again == facts
    assert dump_facts(again) == dump_facts(facts)
