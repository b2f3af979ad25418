"""Columns, publications, sequences, event triggers, extensions, large objects, other relations."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from audit.demo.localpg import LocalPostgres
from audit.facts import Facts, Table

pytestmark = pytest.mark.pg

COLUMN_SQL = [
    "CREATE EXTENSION hstore",
    "CREATE EXTENSION citext",
    "CREATE TYPE mood AS ENUM ('sad', 'happy')",
    "CREATE DOMAIN positive AS int CHECK (VALUE > 0)",
    "CREATE TYPE pair AS (a int, b text)",
    """CREATE TABLE typed (
        id int PRIMARY KEY,
        note text,
        payload jsonb,
        feeling mood,
        feelings mood[],
        amount positive,
        both_ pair,
        span int4range,
        price money,
        doc xml,
        ratio numeric,
        exact numeric(10, 2),
        tags text[],
        attrs hstore,
        email citext,
        small char(1),
        doubled int GENERATED ALWAYS AS (id * 2) STORED
    )""",
    "ALTER TABLE typed ALTER COLUMN small SET STORAGE PLAIN",
    "INSERT INTO typed (id, note) SELECT g, repeat('y', 20) FROM generate_series(1, 10) AS g",
    "ANALYZE typed",
    "CREATE TABLE no_columns ()",
]


def table(facts: Facts, qualified_name: str) -> Table:
    assert facts.tables is not None, facts.issues
    return next(t for t in facts.tables if t.qualified_name == qualified_name)


def test_columns_toastable_special_and_generated(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    with pg_server.connect(fresh_db) as conn:
        for statement in COLUMN_SQL:
            conn.execute(statement)
    facts = collect_from(pg_server, fresh_db)
    typed = table(facts, "public.typed")
    assert typed.column_count == 17
    assert typed.generated_columns == ["doubled"]
    special = {c.name: (c.type, c.kinds) for c in typed.special_columns or []}
    assert special == {
        "feeling": ("mood", ["enum"]),
        "feelings": ("mood[]", ["array", "enum"]),
        "amount": ("positive", ["domain"]),
        "both_": ("pair", ["composite"]),
        "span": ("int4range", ["range"]),
        "price": ("money", ["money"]),
        "doc": ("xml", ["xml"]),
        "ratio": ("numeric", ["numeric_unconstrained"]),
        "tags": ("text[]", ["array"]),
        "attrs": ("hstore", ["hstore"]),
        "email": ("citext", ["extension_type"]),
    }
    toastable = {c.name: (c.type, c.avg_width) for c in typed.toastable_columns or []}
    # analyzed: 20 ASCII bytes and a 1-byte header
    assert toastable["note"] == ("text", 21)
    assert set(toastable) == {
        "note", "payload", "feelings", "both_", "span", "doc", "ratio", "exact", "tags",
        "attrs", "email",
    }  # fmt: skip
    empty = table(facts, "public.no_columns")
    assert (empty.column_count, empty.toastable_columns, empty.special_columns) == (0, [], [])


def test_publications_with_members_column_lists_and_filters(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    major = pg_server.version_num // 10000
    statements = [
        "CREATE SCHEMA sales",
        "CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric, note text)",
        'CREATE TABLE "Odd Name" (id int PRIMARY KEY)',
        "CREATE TABLE sales.later (id int PRIMARY KEY)",
        "CREATE PUBLICATION everything FOR ALL TABLES",
        "CREATE PUBLICATION inserts_only FOR TABLE \"Odd Name\" WITH (publish = 'insert')",
    ]
    if major >= 15:
        statements += [
            "CREATE PUBLICATION filtered FOR TABLE sales.orders (id, total) WHERE (total > 0)",
            "CREATE PUBLICATION by_schema FOR TABLES IN SCHEMA sales",
        ]
    with pg_server.connect(fresh_db) as conn:
        for statement in statements:
            conn.execute(statement)
    facts = collect_from(pg_server, fresh_db)
    assert facts.publications is not None, facts.issues
    pubs = {p.name: p for p in facts.publications}
    everything = pubs["everything"]
    assert (everything.all_tables, everything.tables, everything.owner) == (True, [], "postgres")
    assert (everything.insert, everything.update, everything.delete, everything.truncate) == (
        True, True, True, True,
    )  # fmt: skip
    assert everything.via_root is False
    inserts = pubs["inserts_only"]
    assert (inserts.insert, inserts.update, inserts.delete, inserts.truncate) == (
        True, False, False, False,
    )  # fmt: skip
    assert [(t.qualified_name, t.columns, t.row_filter) for t in inserts.tables] == [
        ('public."Odd Name"', None, None)
    ]
    if major < 15:
        assert inserts.schemas is None
        return
    assert inserts.schemas == []
    filtered = pubs["filtered"]
    assert [(t.qualified_name, t.columns, t.row_filter) for t in filtered.tables] == [
        ("sales.orders", ["id", "total"], "(total > (0)::numeric)")
    ]
    by_schema = pubs["by_schema"]
    assert by_schema.schemas == ["sales"]
    assert [t.qualified_name for t in by_schema.tables] == ["sales.later", "sales.orders"]
    if major >= 18:
        assert everything.generated_columns == "n"


def test_sequences_event_triggers_large_objects_and_other_relations(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    statements = [
        "CREATE TABLE serials (id serial PRIMARY KEY, ident bigint GENERATED ALWAYS AS IDENTITY)",
        'CREATE SEQUENCE "Free Standing" AS smallint',
        "CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN END$$",
        "CREATE EVENT TRIGGER capture_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE')"
        " EXECUTE FUNCTION note_ddl()",
        "ALTER EVENT TRIGGER capture_ddl ENABLE ALWAYS",
        "SELECT lo_create(0)",
        "SELECT lo_create(0)",
        "CREATE FOREIGN DATA WRAPPER dummy",
        "CREATE SERVER nowhere FOREIGN DATA WRAPPER dummy",
        "CREATE FOREIGN TABLE remote (id int) SERVER nowhere",
        "CREATE MATERIALIZED VIEW summary AS SELECT count(*) FROM serials",
        "CREATE EXTENSION pg_walinspect" if pg_server.version_num >= 150000 else "SELECT 1",
    ]
    with pg_server.connect(fresh_db) as conn:
        for statement in statements:
            conn.execute(statement)
    facts = collect_from(pg_server, fresh_db)
    assert facts.sequences is not None, facts.issues
    assert [(s.qualified_name, s.data_type, s.owned_by, s.identity) for s in facts.sequences] == [
        ('public."Free Standing"', "smallint", None, False),
        ("public.serials_id_seq", "integer", "public.serials.id", False),
        ("public.serials_ident_seq", "bigint", "public.serials.ident", True),
    ]
    assert facts.event_triggers is not None
    assert [
        (e.name, e.event, e.enabled, e.function, e.owner, e.tags) for e in facts.event_triggers
    ] == [("capture_ddl", "ddl_command_end", "always", "note_ddl", "postgres", ["CREATE TABLE"])]
    assert facts.large_objects == 2
    assert facts.other_relations is not None
    assert [(r.qualified_name, r.kind) for r in facts.other_relations] == [
        ("public.remote", "foreign_table"),
        ("public.summary", "materialized_view"),
    ]
    assert facts.extensions is not None
    extensions = {e.name: e for e in facts.extensions}
    assert extensions["plpgsql"].schema_name == "pg_catalog"
    if pg_server.version_num >= 150000:
        assert extensions["pg_walinspect"].installed_version is not None
        assert extensions["pg_walinspect"].schema_name == "public"
    assert extensions["pg_stat_statements"].installed_version is None
    assert extensions["pg_stat_statements"].default_version is not None
    assert "hstore" not in extensions  # available, not installed and not relevant to CDC


def test_databases_and_long_term_wal_counters(
    pg_server: LocalPostgres, fresh_db: str, collect_from: Callable[..., Facts]
) -> None:
    facts = collect_from(pg_server, fresh_db)
    assert facts.databases is not None
    databases = {d.name: d for d in facts.databases}
    assert {"postgres", "template0", "template1", fresh_db} <= set(databases)
    mine = databases[fresh_db]
    with pg_server.connect(fresh_db) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    assert mine.size_bytes == pytest.approx(row[0], rel=0.05)
    assert (mine.allow_connections, mine.is_template) == (True, False)
    assert mine.connections is not None
    assert mine.connections >= 1
    assert mine.counters is not None
    assert mine.counters.xact_commit is not None
    assert (databases["template0"].allow_connections, databases["template0"].is_template) == (
        False, True,
    )  # fmt: skip
    if pg_server.version_num < 140000:
        assert facts.wal_stats is None
        issue = facts.issue_for("wal_stats")
        assert issue is not None
        assert issue.reason == "pg_stat_wal exists from PostgreSQL 14 on"
        return
    assert facts.wal_stats is not None
    assert facts.wal_stats.wal_bytes is not None
    assert facts.wal_stats.wal_bytes > 0
    assert facts.wal_stats.wal_records is not None
    assert facts.wal_stats.wal_fpi is not None
