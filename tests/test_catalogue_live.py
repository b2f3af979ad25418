"""The catalogue against real servers: clean reports nothing, broken reports each problem once.

Issue 5's acceptance, for real rather than on fact fixtures (tests/rules/test_scenarios.py):
``cdc-preflight audit`` runs as a subprocess against servers built for the purpose, on
PostgreSQL 15 and 18, and the (code, subject) pairs of its report.json are compared with the
expected set, exactly.

- The clean server is what a careful DBA prepares for Debezium: ``wal_level=logical``, slot and
  sender headroom, a bounded ``max_slot_wal_keep_size``, primary keys everywhere, statistics
  analyzed, the ``dbz_publication`` publication and the signal table, a least-privilege auditing
  role (REPLICATION, pg_monitor, SELECT), and an application writing during the sampling window
  so that the capacity rules have a WAL rate to judge.
- ``wal_level=replica`` and logical slots cannot live on one server, so the problems are split:
  server A (``wal_level=replica``) carries the settings, session and privilege problems and a
  write workload for the WAL model; server B (``wal_level=logical``) carries the tables,
  publication and slot problems, with its captured tables quiet during the window while
  another database writes (the heartbeat problem).

Thresholds meant for production (a slot abandoned for a day, 100 MiB tables, transactions open
for ten minutes) are lowered in the audit's configuration, the way a user would, so that
problems a few seconds old count. The collector itself only lists sessions whose transaction is
at least 10 s old, so server B's long transaction is started early and waited for.

Not made real here, covered by the fact-fixture tests (tests/rules/): the AWS control plane
(CDC401-CDC410: no RDS or Aurora), decoding on a standby (CDC010: needs a streaming standby),
failover slots and standby slots (CDC011, CDC012: need a streaming physical standby; no
failover slots before 17), a slot whose xmin is 100 million transactions old (CDC203), an active
slot about to be invalidated (CDC202: a consumer lagging by most of max_slot_wal_keep_size; with
a lowered threshold every healthy slot near a segment boundary would qualify as well),
``track_counts = off`` (CDC015: it would blind the counter-based rules the other problems rely
on), a server version past its end of life (CDC006: only when the calendar says so for 15), a
WAL rate near one walsender's decoding capacity (CDC504), a snapshot that outlives the slot
(CDC502: the tables here are far too small), and, for the debezium profile this audit uses, the
sequence and unconstrained-numeric problems of the dms and native profiles (CDC111, CDC108's DMS
half).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from audit.demo.localpg import LocalPostgres
from rules.cdc006_server_version_unsupported import end_of_life
from tests.conftest import ServerPool
from tests.consistency import contradictions

pytestmark = pytest.mark.pg

SAMPLE_SECONDS = "2"
INTERVAL = "0.5"
MIB = 1024**2
FREE_DISK = 100 * 1024**3
# The collector lists a session's transaction only once it is this old (sessions.sql).
SESSION_LIST_SECONDS = 10.0

Pair = tuple[str, str]


# --------------------------------------------------------------------------- helpers


def _conninfo(server: LocalPostgres, dbname: str, **extra: str) -> str:
    info = server.conninfo(dbname)
    return " ".join([info, *(f"{k}={v}" for k, v in extra.items())])


def _run_audit(
    server: LocalPostgres, dbname: str, user: str, password: str, config: str, out: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``cdc-preflight audit`` as a user runs it; returns report.json and facts.json."""
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "cdc-preflight.toml"
    config_path.write_text(config, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "audit",
            "audit",
            "--dsn",
            server.conninfo(dbname, user=user, password=password),
            "--sample-seconds",
            SAMPLE_SECONDS,
            "--interval",
            INTERVAL,
            "--out",
            str(out / "report"),
            "--format",
            "json,md,html",
            "--config",
            str(config_path),
            "--fail-on",
            "never",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert contradictions(out / "report") == []
    report = json.loads((out / "report" / "report.json").read_text())
    facts = json.loads((out / "report" / "facts.json").read_text())
    return report, facts


def _pairs(report: dict[str, Any]) -> list[Pair]:
    return [(f["code"], f["subject"]) for f in report["findings"]]


def _explain(report: dict[str, Any], expected: set[Pair]) -> str:
    found = set(_pairs(report))
    lines = ["unexpected:"]
    lines += [
        f"  {f['code']} {f['subject']}: {f['message']}"
        for f in report["findings"]
        if (f["code"], f["subject"]) not in expected
    ]
    lines.append("missing:")
    lines += [f"  {code} {subject}" for code, subject in sorted(expected - found)]
    lines.append("not evaluated:")
    lines += [f"  {n['code']}: {n['reason']}" for n in report["not_evaluated"]]
    lines.append(f"collection issues: {report['collection_issues']}")
    return "\n".join(lines)


def _assert_each_once(
    report: dict[str, Any], expected: set[Pair], not_evaluated: dict[str, str]
) -> None:
    """Exactly the expected pairs, each once; only the expected rules left unevaluated."""
    pairs = _pairs(report)
    twice = [pair for pair, n in Counter(pairs).items() if n > 1]
    assert twice == [], f"reported more than once: {twice}"
    assert set(pairs) == expected, _explain(report, expected)
    reasons = {n["code"]: n["reason"] for n in report["not_evaluated"]}
    assert set(reasons) == set(not_evaluated), reasons
    for code, reason in reasons.items():
        assert not_evaluated[code] in reason, (code, reason)


@contextlib.contextmanager
def _workload(conninfo: str, statements: list[str], pause: float = 0.05) -> Iterator[None]:
    """An application writing in a loop (autocommit) until the block ends."""
    stop = threading.Event()
    errors: list[BaseException] = []
    ready = threading.Event()

    def run() -> None:
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                ready.set()
                while not stop.is_set():
                    for statement in statements:
                        conn.execute(statement)
                    conn.execute("SELECT pg_stat_force_next_flush()")
                    time.sleep(pause)
        except BaseException as exc:
            errors.append(exc)
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="workload", daemon=True)
    thread.start()
    ready.wait(timeout=30)
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == [], errors


class _LongQuery:
    """A session that wrote, then runs a long query inside the same transaction."""

    def __init__(self, conninfo: str, write: str) -> None:
        self.conn = psycopg.connect(conninfo)
        self.conn.execute(write)
        self.pid = self.conn.info.backend_pid
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._sleep, name="long-query", daemon=True)
        self._thread.start()

    def _sleep(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.execute("SELECT pg_sleep(600)")

    def age(self) -> float:
        return time.monotonic() - self.started

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.cancel_safe(timeout=10)
        self._thread.join(timeout=30)
        with contextlib.suppress(psycopg.Error):
            self.conn.rollback()
        self.conn.close()


def _slots(server: LocalPostgres) -> dict[str, dict[str, Any]]:
    with server.connect() as conn:
        rows = conn.execute(
            "SELECT slot_name, active,"
            " (pg_current_wal_lsn() - restart_lsn)::bigint AS retained,"
            " (confirmed_flush_lsn - restart_lsn)::bigint AS pinned"
            " FROM pg_replication_slots"
        ).fetchall()
    return {r[0]: {"active": r[1], "retained": r[2], "pinned": r[3]} for r in rows}


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


# --------------------------------------------------------------------------- clean server

CLEAN_SETTINGS = {
    "cluster_name": "catalogue-clean",
    "wal_level": "logical",
    "max_replication_slots": "10",
    "max_wal_senders": "10",
    "max_slot_wal_keep_size": "10GB",
}

CLEAN_SCHEMA = """
CREATE TABLE public.customers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES public.customers,
    status text NOT NULL,
    notes text NOT NULL DEFAULT repeat(md5(random()::text), 30)
) WITH (fillfactor = 50);  -- room on each page for HOT updates
CREATE TABLE public.events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    payload text
);
CREATE TABLE public.debezium_signal (
    id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048)
);
INSERT INTO public.customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g;
INSERT INTO public.orders (id, customer_id, status)
    SELECT g, 1 + g % 500, 'new' FROM generate_series(1, 3000) g;
INSERT INTO public.events (payload) SELECT 'login' FROM generate_series(1, 3000) g;
UPDATE public.orders SET status = 'paid' WHERE id <= 300;
DELETE FROM public.orders WHERE id > 2900;
UPDATE public.customers SET name = name || ' (vip)' WHERE id <= 10;
CREATE PUBLICATION dbz_publication FOR ALL TABLES;
CREATE ROLE cdc LOGIN PASSWORD 'cdc' REPLICATION IN ROLE pg_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO cdc;
GRANT SELECT ON pg_file_settings TO cdc;
GRANT EXECUTE ON FUNCTION pg_show_all_file_settings() TO cdc;
ANALYZE;
SELECT pg_stat_force_next_flush();
"""

CLEAN_CONFIG = f"""
[rules.CDC309]
signal_table = "public.debezium_signal"

[estimates]
free_disk_bytes = {FREE_DISK}
"""

# Rules a clean server may leave unevaluated, and why: a 2-second window is too short to call
# the captured tables quiet, and a server started seconds ago has no long-term rate to judge
# the window by. Everything else must evaluate and pass.
CLEAN_NOT_EVALUATED = {
    "CDC308": "too short to call the captured tables quiet",
    "CDC506": "no long-term rate to compare the window with",
}
#: A server the tests started seconds ago: its statistics span no long-term rate.
YOUNG = {"CDC506": "too short to be a long-term rate"}


def test_clean_server_has_no_findings(
    server_pool: ServerPool, pg_major: int, tmp_path: Path
) -> None:
    server = server_pool.get(pg_major, CLEAN_SETTINGS)
    with server.connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS shop")
        conn.execute("DROP ROLE IF EXISTS cdc")
        conn.execute("CREATE DATABASE shop")
    with server.connect("shop") as conn:
        conn.execute(CLEAN_SCHEMA)
    # The application keeps writing while the audit samples, so the WAL model and the runway
    # have a rate to work with: HOT updates of wide rows, which wal_level=logical already logs
    # whole here (CDC501 used to predict +72% on top of them), and inserts.
    with _workload(
        _conninfo(server, "shop", application_name="shop-app"),
        [
            "UPDATE public.orders SET status = md5(random()::text)"
            " WHERE id = 1 + (random() * 2899)::int",
            "INSERT INTO public.events (payload) VALUES ('click')",
        ],
    ):
        report, _ = _run_audit(server, "shop", "cdc", "cdc", CLEAN_CONFIG, tmp_path)
    assert report["findings"] == [], _explain(report, set())
    _assert_each_once(report, set(), CLEAN_NOT_EVALUATED)
    assert report["verdict"] == "ready"


# --------------------------------------------------------------------------- server A


def _settings_a(major: int) -> dict[str, str]:
    settings = {
        "cluster_name": "catalogue-a",
        "wal_level": "replica",  # CDC001
        "max_replication_slots": "2",  # CDC002: one taken by old_standby, 1 + 1 spare needed
        "max_wal_senders": "2",  # CDC003: likewise
        "wal_sender_timeout": "0",  # CDC007
        "synchronous_standby_names": "*",  # CDC013
        # ... without a standby, commits would hang: the application commits locally
        "synchronous_commit": "local",
        "max_prepared_transactions": "2",  # for CDC304
        "max_connections": "10",  # CDC306, with the sessions held open below
        # max_slot_wal_keep_size stays -1 (unlimited): CDC005
    }
    if major >= 18:
        settings["idle_replication_slot_timeout"] = "1h"  # CDC009
    return settings


SCHEMA_A = """
CREATE TABLE public.profiles (
    id bigint PRIMARY KEY,
    visits int NOT NULL DEFAULT 0,
    bio text NOT NULL DEFAULT repeat(md5(random()::text), 45)
) WITH (fillfactor = 50);
CREATE TABLE public.ledger (
    id bigint PRIMARY KEY,
    balance numeric(12, 2) NOT NULL DEFAULT 0,
    memo text NOT NULL DEFAULT repeat(md5(random()::text), 15)
);
ALTER TABLE public.ledger REPLICA IDENTITY FULL;
INSERT INTO public.profiles (id) SELECT g FROM generate_series(1, 2000) g;
INSERT INTO public.ledger (id) SELECT g FROM generate_series(1, 2000) g;
UPDATE public.ledger SET balance = balance + 1 WHERE id <= 200;
CREATE ROLE cdc_a LOGIN PASSWORD 'cdc_a' IN ROLE pg_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO cdc_a;
GRANT SELECT ON pg_file_settings TO cdc_a;
GRANT EXECUTE ON FUNCTION pg_show_all_file_settings() TO cdc_a;
ANALYZE;
SELECT pg_stat_force_next_flush();
"""

CONFIG_A = f"""
# the physical slot of the decommissioned standby is seconds old, not a day
[rules.CDC204]
min_retained_bytes = {256 * 1024}

# the sessions and the prepared transaction are seconds old, not minutes
[rules.CDC304]
min_seconds = 1

[rules.CDC305]
min_seconds = 1

# the connector is configured for a signal table nobody created
[rules.CDC309]
signal_table = "public.debezium_signal"

[estimates]
free_disk_bytes = {FREE_DISK}

[[waivers]]
rule = "CDC005"
subject = "setting:max_slot_wal_keep_size"
reason = "disk alarms instead (CR-17)"
expires = 2020-01-01
"""


def _expected_a(major: int) -> set[Pair]:
    expected = {
        ("CDC001", "setting:wal_level"),
        ("CDC002", "setting:max_replication_slots"),
        ("CDC003", "setting:max_wal_senders"),
        ("CDC004", "setting:max_worker_processes"),  # a CDC setting staged for the restart
        ("CDC004", "settings:pending"),  # shared_buffers, staged too
        ("CDC005", "setting:max_slot_wal_keep_size"),
        ("CDC007", "setting:wal_sender_timeout"),
        ("CDC013", "setting:synchronous_standby_names"),
        ("CDC016", "waiver:CDC005:setting:max_slot_wal_keep_size"),
        ("CDC102", "public.ledger"),  # FULL with a primary key, updated
        ("CDC204", "slot:old_standby"),
        ("CDC301", "role:cdc_a"),  # pg_monitor only, no REPLICATION
        ("CDC302", "publication:dbz_publication"),  # missing, and cdc_a cannot create it
        ("CDC304", "prepared:orphan"),
        ("CDC305", "sessions:idle-in-transaction"),
        # 10, 3 reserved, 6 in use; the staged 120 is this rule's, not CDC004's
        ("CDC306", "setting:max_connections"),
        ("CDC309", "public.debezium_signal"),
        ("CDC501", "wal"),  # wide rows HOT-updated: logical WAL is much larger
        ("CDC505", "replica-identity-full"),  # public.ledger updated during the window
    }
    if major >= 18:
        expected.add(("CDC009", "setting:idle_replication_slot_timeout"))
    if datetime.now(UTC) >= end_of_life(major):
        expected.add(("CDC006", "server:version"))
    return expected


def _audit_a(server: LocalPostgres, out: Path) -> tuple[dict[str, Any], set[Pair]]:
    with server.connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS shop")
        conn.execute("DROP ROLE IF EXISTS cdc_a")
        conn.execute("CREATE DATABASE shop")
        conn.execute(
            "SELECT pg_create_physical_replication_slot('old_standby', true)"
            " WHERE NOT EXISTS (SELECT FROM pg_replication_slots"
            " WHERE slot_name = 'old_standby')"
        )
        # Staged by someone, never applied: more connections (which would fix CDC306), more
        # worker processes (a CDC setting), and something else.
        conn.execute("ALTER SYSTEM SET max_connections = 120")
        conn.execute("ALTER SYSTEM SET max_worker_processes = 16")
        conn.execute("ALTER SYSTEM SET shared_buffers = '64MB'")
        conn.execute("SELECT pg_reload_conf()")
    held: list[psycopg.Connection[Any]] = []
    try:
        with server.connect("shop") as conn:
            conn.execute(SCHEMA_A)
        # A two-phase transaction whose coordinator is gone.
        with server.connect("shop", autocommit=False) as conn:
            conn.execute("INSERT INTO public.ledger (id) VALUES (0)")
            conn.execute("PREPARE TRANSACTION 'orphan'")
        # An application session that began a transaction and stopped talking.
        idle = psycopg.connect(_conninfo(server, "shop", application_name="billing"))
        held.append(idle)
        idle.execute("SELECT balance FROM public.ledger WHERE id = 1")
        # Pooled connections: with the workload and the idle session, 5 of the 7 connections
        # that are not reserved for superusers are taken before the audit connects.
        for _ in range(3):
            held.append(psycopg.connect(_conninfo(server, "shop", application_name="pool")))
        time.sleep(1.1)  # the idle session and the prepared transaction pass min_seconds
        with _workload(
            _conninfo(server, "shop", application_name="shop-app"),
            [
                "UPDATE public.profiles SET visits = visits + 1"
                " WHERE id = 1 + (random() * 1999)::int",
                "UPDATE public.ledger SET balance = balance + 1"
                " WHERE id = 1 + (random() * 1999)::int",
            ],
        ):
            report, _ = _run_audit(server, "shop", "cdc_a", "cdc_a", CONFIG_A, out)
    finally:
        for conn in held:
            conn.close()
        with server.connect() as conn:
            conn.execute(
                "SELECT pg_drop_replication_slot('old_standby')"
                " WHERE EXISTS (SELECT FROM pg_replication_slots"
                " WHERE slot_name = 'old_standby')"
            )
            conn.execute("ALTER SYSTEM RESET ALL")
            conn.execute("SELECT pg_reload_conf()")
        with server.connect("shop") as conn:
            if conn.execute("SELECT FROM pg_prepared_xacts WHERE gid = 'orphan'").fetchone():
                conn.execute("ROLLBACK PREPARED 'orphan'")
    return report, _expected_a(server.version_num // 10000)


# --------------------------------------------------------------------------- server B

SETTINGS_B = {
    "cluster_name": "catalogue-b",
    "wal_level": "logical",
    "max_replication_slots": "10",
    "max_wal_senders": "10",
    "max_slot_wal_keep_size": "64MB",  # CDC014 (below max_wal_size), CDC503 (runway)
}

# Before the slots: the load job whose decoding spills (slot bulk).
BULK_LOAD = """
CREATE TABLE public.staging (id bigint PRIMARY KEY, line text NOT NULL);
INSERT INTO public.staging SELECT g, repeat('x', 60) FROM generate_series(1, 120000) g;
"""

SCHEMA_B = """
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS cube;
CREATE TYPE public.status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN public.sku AS text CHECK (VALUE ~ '^[A-Z0-9-]+$');
CREATE TYPE public.address AS (street text, city text, zip text);

-- the tables Debezium will capture without trouble
CREATE TABLE public.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, status public.status NOT NULL
);
CREATE TABLE public.debezium_signal (
    id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048)
);
CREATE TABLE public.products (  -- enum, domain, money, hstore: Debezium maps them all
    id bigint PRIMARY KEY, status public.status, sku public.sku, price money, attrs hstore
);
INSERT INTO public.orders (status) SELECT 'new' FROM generate_series(1, 500);
INSERT INTO public.products VALUES (1, 'new', 'A-1', 9.99, 'colour=>red');

-- CDC101: no key, updated
CREATE TABLE public.clicks (at timestamptz NOT NULL, url text NOT NULL);
INSERT INTO public.clicks SELECT now(), '/p/' || g FROM generate_series(1, 500) g;
UPDATE public.clicks SET url = url || '?' WHERE url LIKE '/p/1%';
-- CDC101: REPLICA IDENTITY NOTHING, updated
CREATE TABLE public.audit_trail (id bigint PRIMARY KEY, note text);
ALTER TABLE public.audit_trail REPLICA IDENTITY NOTHING;
INSERT INTO public.audit_trail SELECT g, 'n' FROM generate_series(1, 100) g;
UPDATE public.audit_trail SET note = 'm' WHERE id <= 10;
-- CDC101: REPLICA IDENTITY USING INDEX on an index dropped since, updated
CREATE TABLE public.tags (id bigint PRIMARY KEY, code text NOT NULL);
CREATE UNIQUE INDEX tags_code_key ON public.tags (code);
ALTER TABLE public.tags REPLICA IDENTITY USING INDEX tags_code_key;
DROP INDEX public.tags_code_key;
INSERT INTO public.tags SELECT g, 't' || g FROM generate_series(1, 100) g;
UPDATE public.tags SET code = code || '!' WHERE id <= 10;
-- CDC107: usable identity (a unique index) but no primary key
CREATE TABLE public.devices (serial text NOT NULL, model text);
CREATE UNIQUE INDEX devices_serial_key ON public.devices (serial);
ALTER TABLE public.devices REPLICA IDENTITY USING INDEX devices_serial_key;
INSERT INTO public.devices SELECT 'S' || g, 'm' FROM generate_series(1, 100) g;
-- CDC103
CREATE UNLOGGED TABLE public.session_cache (id bigint PRIMARY KEY, data text);
INSERT INTO public.session_cache SELECT g, 'd' FROM generate_series(1, 100) g;
-- CDC104: TOASTed values, updated
CREATE TABLE public.documents (id bigint PRIMARY KEY, title text NOT NULL, body text);
ALTER TABLE public.documents ALTER COLUMN body SET STORAGE EXTERNAL;
INSERT INTO public.documents
    SELECT g, 'doc ' || g, (SELECT string_agg(md5(g::text || i::text), '')
                            FROM generate_series(1, 200) i)
    FROM generate_series(1, 200) g;
UPDATE public.documents SET title = title || ' (rev 2)' WHERE id <= 20;
-- CDC108: a composite type and an extension type Debezium does not map
CREATE TABLE public.shipments (id bigint PRIMARY KEY, ship_to public.address, box cube);
INSERT INTO public.shipments VALUES (1, ROW('1 Main St', 'Springfield', '12345'), '(1,2,3)');
-- CDC109
CREATE TABLE public.invoices (
    id bigint PRIMARY KEY,
    net numeric(12, 2) NOT NULL,
    gross numeric(12, 2) GENERATED ALWAYS AS (net * 1.2) STORED
);
INSERT INTO public.invoices (id, net) SELECT g, g FROM generate_series(1, 100) g;
-- CDC113: row-level security, and the auditing role does not own the table
CREATE TABLE public.accounts (id bigint PRIMARY KEY, region text NOT NULL);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY eu_only ON public.accounts FOR SELECT USING (region = 'eu');
INSERT INTO public.accounts SELECT g, 'eu' FROM generate_series(1, 50) g;
-- CDC114: partitioned, published by leaf
CREATE TABLE public.events (id bigint NOT NULL, at date NOT NULL, PRIMARY KEY (id, at))
    PARTITION BY RANGE (at);
CREATE TABLE public.events_2026_10 PARTITION OF public.events
    FOR VALUES FROM ('2026-10-01') TO ('2026-11-01');
CREATE TABLE public.events_2026_11 PARTITION OF public.events
    FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
INSERT INTO public.events SELECT g, DATE '2026-10-15' + g % 30 FROM generate_series(1, 300) g;
-- CDC115: published with a column list that leaves out the key
CREATE TABLE public.narrow (id bigint PRIMARY KEY, name text, secret text);
INSERT INTO public.narrow SELECT g, 'n' || g, 's' FROM generate_series(1, 50) g;
-- CDC307: left out of the publication
CREATE TABLE public.refunds (id bigint PRIMARY KEY, amount numeric(12, 2));
INSERT INTO public.refunds SELECT g, g FROM generate_series(1, 50) g;
-- CDC106: the auditing role cannot read this schema
CREATE SCHEMA secret;
CREATE TABLE secret.payroll (id bigint PRIMARY KEY, salary numeric(12, 2));
INSERT INTO secret.payroll SELECT g, 1000 FROM generate_series(1, 50) g;
-- CDC110
SELECT lo_from_bytea(0, '\\x0102');
-- CDC112
CREATE MATERIALIZED VIEW public.daily_orders AS
    SELECT status, count(*) AS orders FROM public.orders GROUP BY status;

ANALYZE;
-- CDC105: bulk-loaded after the last ANALYZE, autovacuum off
CREATE TABLE public.imports (id bigint PRIMARY KEY, line text NOT NULL)
    WITH (autovacuum_enabled = false);
INSERT INTO public.imports SELECT g, repeat('i', 100) FROM generate_series(1, 8000) g;

-- The captured tables are quiet during the window: pg_walinspect gives the WAL model the
-- records the other database writes.
CREATE EXTENSION IF NOT EXISTS pg_walinspect;
CREATE ROLE cdc_b LOGIN PASSWORD 'cdc_b' REPLICATION IN ROLE pg_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO cdc_b;
GRANT SELECT ON pg_file_settings TO cdc_b;
GRANT EXECUTE ON FUNCTION pg_show_all_file_settings() TO cdc_b;
GRANT EXECUTE ON FUNCTION pg_get_wal_records_info(pg_lsn, pg_lsn) TO cdc_b;
"""

PUBLICATION_B = """
SELECT format(
    'CREATE PUBLICATION dbz_publication FOR TABLE %s, public.narrow (name)',
    string_agg(format('%I.%I', schemaname, tablename), ', ' ORDER BY schemaname, tablename)
)
FROM pg_tables
WHERE schemaname IN ('public', 'secret')
    AND tablename NOT IN ('refunds', 'session_cache', 'narrow')
    AND tablename NOT LIKE 'events\\_%'
"""


def _config_b(min_retained: int) -> str:
    return f"""
# the abandoned slot is seconds old; a threshold between what it and the other slots retain
[rules.CDC201]
min_retained_bytes = {min_retained}

[rules.CDC105]
min_bytes = {256 * 1024}

[rules.CDC206]
min_spill_bytes = {MIB}

[rules.CDC207]
min_bytes = {MIB}

[rules.CDC303]
min_seconds = {int(SESSION_LIST_SECONDS)}

# two seconds of sampling, a few hundred rows written in another database
[rules.CDC308]
min_window_seconds = 1
min_other_rows = 50

[rules.CDC309]
signal_table = "public.debezium_signal"

[estimates]
free_disk_bytes = {FREE_DISK}
"""


def _expected_b(major: int, long_query_pid: int) -> set[Pair]:
    expected = {
        ("CDC014", "setting:max_slot_wal_keep_size"),  # 64 MB < max_wal_size 1 GB
        ("CDC101", "public.clicks"),
        ("CDC101", "public.audit_trail"),
        ("CDC101", "public.tags"),
        ("CDC103", "public.session_cache"),
        ("CDC104", "public.documents"),
        ("CDC105", "public.imports"),
        ("CDC106", "schema:secret"),
        ("CDC107", "public.devices"),
        ("CDC108", "public.shipments"),  # not public.products: its types are mapped
        ("CDC109", "public.invoices"),
        ("CDC110", "database:large-objects"),
        ("CDC112", "scope:uncapturable"),
        ("CDC113", "role:cdc_b"),
        ("CDC114", "publication:dbz_publication"),
        ("CDC115", "publication:dbz_publication/public.narrow"),
        ("CDC201", "slot:abandoned"),
        ("CDC205", "slot:debezium"),  # belongs to database reporting
        ("CDC206", "slot:bulk"),
        ("CDC207", "slot:pinned"),  # its consumer confirms, the long transaction pins it
        ("CDC303", f"session:{long_query_pid}"),
        ("CDC307", "publication:dbz_publication"),  # public.refunds left out
        ("CDC308", "scope:heartbeat"),
        ("CDC503", "runway:max_slot_wal_keep_size"),
    }
    if major < 17:
        # inactive below every threshold, for how long unknown before 17: reported as low
        expected |= {("CDC201", "slot:bulk"), ("CDC201", "slot:debezium")}
    if datetime.now(UTC) >= end_of_life(major):
        expected.add(("CDC006", "server:version"))
    return expected


class _ServerB:
    """Server B's problems, built in the order slots and transactions allow."""

    def __init__(self, server: LocalPostgres, log: Path) -> None:
        self.server = server
        self.log = log
        self.long_query: _LongQuery | None = None
        self.consumer: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Slots first (creating one waits for transactions that wrote), then the long one."""
        server = self.server
        with server.connect() as conn:
            for db in ("shop", "reporting", "other"):
                conn.execute(f"DROP DATABASE IF EXISTS {db}")
            conn.execute("DROP ROLE IF EXISTS cdc_b")
            for db in ("shop", "reporting", "other"):
                conn.execute(f"CREATE DATABASE {db}")
        with server.connect("other") as conn:
            conn.execute("CREATE TABLE public.hits (id bigserial PRIMARY KEY, at timestamptz)")
        with server.connect("shop") as conn:
            conn.execute(
                "CREATE TABLE public.batch_runs"
                " (id bigserial PRIMARY KEY, started_at timestamptz NOT NULL DEFAULT now())"
            )
            # A deleted connector's slot, and the slot of a load job's consumer.
            conn.execute("SELECT pg_create_logical_replication_slot('abandoned', 'pgoutput')")
            conn.execute("SELECT pg_create_logical_replication_slot('bulk', 'test_decoding')")
            conn.execute(BULK_LOAD)
            # A running_xacts record after the load lets the slot's restart_lsn move past it.
            conn.execute("CHECKPOINT")
            conn.execute("SET logical_decoding_work_mem = '64kB'")
            conn.execute("SELECT count(*) FROM pg_logical_slot_get_changes('bulk', NULL, NULL)")
            conn.execute("DROP TABLE public.staging")
            conn.execute("SELECT pg_create_logical_replication_slot('pinned', 'test_decoding')")
        with server.connect("reporting") as conn:
            # Another team's connector in another database took the default slot name.
            conn.execute("SELECT pg_create_logical_replication_slot('debezium', 'pgoutput')")
        self.consumer = subprocess.Popen(
            [
                str(server.bin("pg_recvlogical")),
                "--dbname",
                _conninfo(server, "shop", application_name="audit-log-shipper"),
                "--slot",
                "pinned",
                "--start",
                "--file",
                "-",
                "--fsync-interval",
                "0",
                "--status-interval",
                "1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("wb"),
            env={k: v for k, v in os.environ.items() if not k.startswith("PG")},
        )
        self.long_query = _LongQuery(
            _conninfo(server, "shop", application_name="nightly-batch"),
            "INSERT INTO public.batch_runs DEFAULT VALUES",
        )

    def build(self) -> None:
        server = self.server
        with server.connect("shop") as conn:
            conn.execute(SCHEMA_B)
            row = conn.execute(PUBLICATION_B).fetchone()
            assert row is not None
            conn.execute(row[0])
            conn.execute("SELECT pg_stat_force_next_flush()")
        with server.connect("other") as conn:
            # WAL written after the long transaction began, which the consumer confirms.
            conn.execute("INSERT INTO public.hits (at) SELECT now() FROM generate_series(1, 20000)")

    def wait_until_ready(self) -> None:
        assert self.long_query is not None
        _wait_for(
            lambda: (_slots(self.server)["pinned"]["pinned"] or 0) >= 2 * MIB,
            30,
            f"the consumer of slot pinned to confirm 2 MiB past its restart_lsn ({self.log})",
        )
        remaining = SESSION_LIST_SECONDS + 0.5 - self.long_query.age()
        if remaining > 0:
            time.sleep(remaining)

    def close(self) -> None:
        if self.long_query is not None:
            self.long_query.close()
        if self.consumer is not None:
            self.consumer.terminate()
            self.consumer.wait(timeout=30)
        with self.server.connect() as conn:
            conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                " WHERE NOT active"
            )


def test_every_problem_reported_once(
    server_pool: ServerPool, pg_major: int, tmp_path: Path
) -> None:
    server_b = server_pool.get(pg_major, SETTINGS_B)
    b = _ServerB(server_b, tmp_path / "pg_recvlogical.log")
    try:
        # The shop database needs the table the long transaction writes to before it starts.
        b.start()
        # While B's long transaction ages towards the collector's 10 s, audit server A.
        server_a = server_pool.get(pg_major, _settings_a(pg_major))
        report_a, expected_a = _audit_a(server_a, tmp_path / "a")
        b.build()
        b.wait_until_ready()
        slots = _slots(server_b)
        others = max(slots[name]["retained"] for name in ("bulk", "debezium"))
        abandoned = slots["abandoned"]["retained"]
        assert abandoned - others >= 8 * MIB, slots
        assert max(slots[n]["pinned"] for n in ("abandoned", "bulk", "debezium")) < MIB, slots
        with _workload(
            _conninfo(server_b, "other", application_name="other-app"),
            ["INSERT INTO public.hits (at) SELECT now() FROM generate_series(1, 10)"],
        ):
            report_b, _ = _run_audit(
                server_b,
                "shop",
                "cdc_b",
                "cdc_b",
                _config_b((abandoned + others) // 2),
                tmp_path / "b",
            )
        assert b.long_query is not None
        expected_b = _expected_b(pg_major, b.long_query.pid)
    finally:
        b.close()
    # A keeps the default 60 s heartbeat window; B lowers it and has its WAL rate from
    # pg_walinspect, so every rule but the window's long-term comparison evaluates there.
    # cdc_a has no REPLICATION (CDC301): its replication connection is not attempted
    _assert_each_once(
        report_a,
        expected_a,
        {
            "CDC308": "too short to call",
            "CDC311": "not attempted: role cdc_a lacks REPLICATION",
            **YOUNG,
        },
    )
    _assert_each_once(report_b, expected_b, YOUNG)
