"""Proof from the server's own log that an audit sends nothing that writes, locks or creates."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from collect_support import create_schema

from audit.collect.connection import SESSION_SETTINGS
from audit.demo.localpg import LocalPostgres
from audit.facts import Facts

pytestmark = pytest.mark.pg

# A log entry starts with the prefix (application name, possibly empty) and a severity.
ENTRY = re.compile(r"^(?P<app>\S*) (?P<level>[A-Z]+\d?):  (?P<text>.*)$")
STATEMENT = re.compile(
    r"^(?:statement|execute [^:]*|received replication command): (?P<sql>.*)$", re.DOTALL
)
# BEGIN/COMMIT: the read probe reads inside a read-only transaction (SET LOCAL timeouts).
# IDENTIFY_SYSTEM: the replication connection's one command; it reads the system identifier,
# timeline and WAL position (CREATE_REPLICATION_SLOT, START_REPLICATION are not allowed).
ALLOWED_FIRST_WORDS = {"SELECT", "WITH", "SHOW", "SET", "BEGIN", "COMMIT", "ROLLBACK"}
REPLICATION_COMMANDS = {"IDENTIFY_SYSTEM"}
FORBIDDEN = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|LOCK|COPY|TRUNCATE|GRANT|REVOKE|VACUUM"
    r"|ANALYZE|CLUSTER|REINDEX|REFRESH|COMMENT|SECURITY|FOR\s+(UPDATE|SHARE|NO\s+KEY|KEY)"
    r"|pg_create_\w+|pg_drop_\w+|pg_switch_wal|pg_logical_emit_message|nextval|setval"
    r"|pg_advisory\w*|pg_terminate_backend|pg_cancel_backend|set_config)\b",
    re.IGNORECASE,
)


def log_entries(text: str) -> list[dict[str, Any]]:
    """Log entries with their continuation lines (multi-line statements) joined back."""
    entries: list[dict[str, Any]] = []
    for line in text.splitlines():
        match = ENTRY.match(line)
        if match:
            entries.append(match.groupdict())
        elif entries:
            entries[-1]["text"] += "\n" + line
    return entries


def without_comments_literals_and_names(sql: str) -> str:
    """``sql`` with comments, string literals and quoted identifiers (e.g. ``AS "insert"``)
    blanked: what is left are the keywords and unquoted names the server acts on."""
    sql = re.sub(r"--[^\n]*", " ", sql)
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    return re.sub(r'"(?:[^"]|"")*"', '""', sql)


def our_statements(server: LocalPostgres, offset: int) -> list[str]:
    with server.log_path.open(encoding="utf-8", errors="replace") as log:
        log.seek(offset)
        entries = log_entries(log.read())
    statements = []
    for entry in entries:
        if entry["app"] != "cdc-preflight":
            continue
        match = STATEMENT.match(entry["text"])
        assert entry["level"] != "ERROR", entry
        if match:
            statements.append(without_comments_literals_and_names(match["sql"]).strip())
    return statements


def test_a_full_audit_only_reads(
    observed_server: LocalPostgres,
    make_db: Callable[[LocalPostgres], str],
    collect_from: Callable[..., Facts],
) -> None:
    dbname = make_db(observed_server)
    create_schema(observed_server, dbname)
    if observed_server.version_num >= 150000:  # so that the proof covers reading the WAL too
        with observed_server.connect(dbname) as conn:
            conn.execute("CREATE EXTENSION pg_walinspect")
    offset = observed_server.log_path.stat().st_size

    def write_during_the_window(message: str) -> None:  # gives pg_walinspect WAL to read
        if message.startswith("sampling: 1/"):
            with observed_server.connect(dbname) as conn:
                conn.execute("INSERT INTO app.no_pk SELECT g, 'w' FROM generate_series(1, 50) g")

    facts = collect_from(
        observed_server, dbname, sample_seconds=2.0, interval=0.5, progress=write_during_the_window
    )

    assert facts.sampling is not None
    assert len(facts.sampling.samples) == 5
    assert (facts.walinspect is not None) == (observed_server.version_num >= 150000)
    statements = our_statements(observed_server, offset)
    # the session setup, the families, and every sample: the audit did log its statements
    assert len(statements) >= 4 + 8 + 5 * 4
    # the replication connection ran its one command, and it was logged
    assert [sql for sql in statements if sql in REPLICATION_COMMANDS] == ["IDENTIFY_SYSTEM"]
    assert facts.replication_connection is not None and facts.replication_connection.ok
    for sql in statements:
        first_word = sql.split(None, 1)[0].upper()
        assert first_word in ALLOWED_FIRST_WORDS | REPLICATION_COMMANDS, sql
        assert FORBIDDEN.search(sql) is None, sql
    session_sets = [sql for sql in statements if sql.startswith("SET ") and "LOCAL" not in sql]
    assert len(session_sets) == len(SESSION_SETTINGS)
    local_sets = [sql for sql in statements if sql.startswith("SET LOCAL ")]
    assert all(
        sql.startswith(("SET LOCAL transaction_read_only", "SET LOCAL statement_timeout"))
        for sql in local_sets
    ), local_sets
