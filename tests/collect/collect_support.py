"""Support for the collector tests: the schema they audit, and statistics flushing."""

from __future__ import annotations

from typing import Any

import psycopg

from audit.demo.localpg import LocalPostgres, available_majors

# A server of the collector tests' own: it logs every statement with the application name
# first (the read-only proof), replication commands too, and allows prepared transactions.
OBSERVED_SERVER_SETTINGS = {
    "wal_level": "replica",
    "log_statement": "all",
    "log_destination": "stderr",
    "logging_collector": "off",
    "log_line_prefix": "%a ",
    # the replication connection's commands (IDENTIFY_SYSTEM) are logged by this, not log_statement
    "log_replication_commands": "on",
    "max_prepared_transactions": "2",
}

# One table per property the collector must report; the expected facts are in
# test_collect_tables.py. Autovacuum is off where a test relies on a table not being analyzed.
SCHEMA_SQL = """
CREATE SCHEMA app;
CREATE TABLE app.with_pk (id bigint PRIMARY KEY, note text);
INSERT INTO app.with_pk SELECT g, repeat('x', 10) FROM generate_series(1, 1000) AS g;
ANALYZE app.with_pk;
CREATE TABLE app.composite_pk (b int, a int, c text, PRIMARY KEY (b, a) INCLUDE (c));
CREATE TABLE app.no_pk (a int, b text) WITH (autovacuum_enabled = off);
INSERT INTO app.no_pk SELECT g, 'row ' || g FROM generate_series(1, 500) AS g;
UPDATE app.no_pk SET b = 'changed' WHERE a <= 10;
DELETE FROM app.no_pk WHERE a > 495;
VACUUM app.no_pk;
CREATE TABLE app.full_identity (a int, b text);
ALTER TABLE app.full_identity REPLICA IDENTITY FULL;
CREATE TABLE app.nothing_identity (id int PRIMARY KEY);
ALTER TABLE app.nothing_identity REPLICA IDENTITY NOTHING;
CREATE TABLE app.using_index (a int NOT NULL, b int);
CREATE UNIQUE INDEX "Using Idx" ON app.using_index (a);
ALTER TABLE app.using_index REPLICA IDENTITY USING INDEX "Using Idx";
CREATE TABLE app.dropped_identity (a int NOT NULL, b int);
CREATE UNIQUE INDEX dropped_identity_a ON app.dropped_identity (a);
ALTER TABLE app.dropped_identity REPLICA IDENTITY USING INDEX dropped_identity_a;
DROP INDEX app.dropped_identity_a;
CREATE TABLE app.candidates (a int NOT NULL, b int, c int NOT NULL, d int NOT NULL);
CREATE UNIQUE INDEX cand_a ON app.candidates (a);
CREATE UNIQUE INDEX cand_nullable ON app.candidates (b);
CREATE UNIQUE INDEX cand_partial ON app.candidates (c) WHERE c > 0;
CREATE UNIQUE INDEX cand_expression ON app.candidates ((c + d));
ALTER TABLE app.candidates ADD CONSTRAINT cand_deferrable UNIQUE (d) DEFERRABLE;
CREATE UNIQUE INDEX cand_include ON app.candidates (c, a) INCLUDE (b);
CREATE INDEX cand_not_unique ON app.candidates (d);
CREATE UNLOGGED TABLE app.scratch (id int PRIMARY KEY);
CREATE TABLE app.events (id bigint, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.secret (id int PRIMARY KEY);
CREATE TEMP TABLE not_inventoried (id int);
CREATE VIEW app.not_a_table AS SELECT 1 AS one;
CREATE MATERIALIZED VIEW app.not_a_table_either AS SELECT 1 AS one;
"""

# Granted to least-privilege auditing roles: everything but app.secret.
READABLE_TABLES = (
    "app.with_pk, app.composite_pk, app.no_pk, app.full_identity, app.nothing_identity, "
    "app.using_index, app.dropped_identity, app.candidates, app.scratch, app.events, "
    "app.events_2024, app.events_2025"
)


def create_schema(server: LocalPostgres, dbname: str) -> None:
    """Run SCHEMA_SQL in ``dbname``, one statement at a time (VACUUM needs its own)."""
    with server.connect(dbname) as conn:
        for statement in SCHEMA_SQL.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        flush_stats(conn)


def expected_methods(server: LocalPostgres) -> list[str]:
    """The sampling methods that work for a role allowed to run them: pg_stat_wal is 14+."""
    if server.version_num >= 140000:
        return ["lsn", "pg_stat_wal", "row_changes"]
    return ["lsn", "row_changes"]


def client_program(server: LocalPostgres, name: str) -> str:
    """The server's ``name`` (pgbench, pg_recvlogical), or another major's if it has none."""
    candidates = [server.bin_dir, *available_majors().values()]
    return str(next(d / name for d in candidates if (d / name).is_file()))


def flush_stats(conn: psycopg.Connection[Any]) -> None:
    """Ask the backend to publish its pending statistics soon (15+; 13 and 14 send them at
    the end of each transaction, with a delay of up to 0.5 s)."""
    if conn.info.server_version >= 150000:
        conn.execute("SELECT pg_stat_force_next_flush()")
