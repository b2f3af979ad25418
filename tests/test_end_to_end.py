"""`cdc-preflight audit` against a real server with known problems reports exactly those.

The server is configured the way a careful DBA would (bounded slot WAL, statistics analyzed),
then given four problems: wal_level is replica, a table without any key takes updates, a table
with a primary key uses REPLICA IDENTITY FULL under updates and deletes, and a physical slot of
a decommissioned standby retains WAL. Each must be reported once, in all four formats.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ServerPool

WELL_CONFIGURED = {
    "wal_level": "replica",
    "max_slot_wal_keep_size": "4GB",
    "cluster_name": "e2e",
}

SCHEMA = """
CREATE TABLE public.orders (id bigint PRIMARY KEY, status text NOT NULL);
CREATE TABLE public.clicks (at timestamptz NOT NULL, url text NOT NULL);
CREATE TABLE public.events (id bigint PRIMARY KEY, payload text NOT NULL);
ALTER TABLE public.events REPLICA IDENTITY FULL;
INSERT INTO public.orders SELECT g, 'new' FROM generate_series(1, 3000) g;
INSERT INTO public.clicks SELECT now(), '/p/' || g FROM generate_series(1, 3000) g;
INSERT INTO public.events SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g;
UPDATE public.orders SET status = 'paid' WHERE id <= 100;
UPDATE public.clicks SET url = url || '?' WHERE url LIKE '/p/1%';
UPDATE public.events SET payload = 'done' WHERE id <= 50;
DELETE FROM public.events WHERE id > 450;
"""

EXPECTED = {
    ("CDC001", "setting:wal_level", "critical"),
    ("CDC101", "public.clicks", "critical"),
    ("CDC102", "public.events", "medium"),
    ("CDC204", "slot:old_standby", "high"),
}


@pytest.mark.pg
def test_audit_reports_exactly_the_known_problems(
    server_pool: ServerPool, pg_major: int, tmp_path: Path
) -> None:
    server = server_pool.get(pg_major, WELL_CONFIGURED)
    with server.connect() as conn:
        conn.execute("DROP DATABASE IF EXISTS shop_e2e")
        conn.execute("CREATE DATABASE shop_e2e")
    with server.connect("shop_e2e") as conn:
        conn.execute(
            "SELECT pg_create_physical_replication_slot('old_standby', true)"
            " WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = 'old_standby')"
        )
        conn.execute(SCHEMA)
        conn.execute("ANALYZE")
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("CHECKPOINT")
    # The slot is minutes old, not a day: lower the retention threshold as a user would.
    config = tmp_path / "cdc-preflight.toml"
    config.write_text("[rules.CDC204]\nmin_retained_bytes = 262144\n")
    out = tmp_path / "report"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "audit",
            "audit",
            "--dsn",
            server.conninfo("shop_e2e"),
            "--sample-seconds",
            "1",
            "--interval",
            "0.5",
            "--out",
            str(out),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr  # a critical finding, default --fail-on
    report = json.loads((out / "report.json").read_text())
    found = {(f["code"], f["subject"], f["severity"]) for f in report["findings"]}
    facts = json.loads((out / "facts.json").read_text())
    assert found == EXPECTED, (found, facts["slots"])
    assert report["verdict"] == "not_ready"
    html = (out / "report.html").read_text().replace("<wbr>", "")
    markdown = (out / "report.md").read_text()
    for code, subject, _ in EXPECTED:
        assert code in html and subject in html
    for code, _subject, severity in EXPECTED:
        if severity in ("critical", "high"):
            assert code in markdown
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out / "report.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for code, _, _ in EXPECTED:
            assert code in text


@pytest.mark.pg
def test_no_password_reaches_any_output(
    server_pool: ServerPool, pg_major: int, tmp_path: Path
) -> None:
    """The DSN's password and a replication password in a setting appear in no output file."""
    secret, replication_secret = "Zq9-dsn-Secret-Xy", "Rp7-repl-Secret-Wv"
    server = server_pool.get(pg_major, WELL_CONFIGURED)
    with server.connect() as conn:
        conn.execute("DROP ROLE IF EXISTS auditor")
        conn.execute(f"CREATE ROLE auditor LOGIN PASSWORD '{secret}' IN ROLE pg_monitor")
        conn.execute(
            f"ALTER SYSTEM SET primary_conninfo = 'host=10.0.0.9 password={replication_secret}'"
        )
        conn.execute("SELECT pg_reload_conf()")
    try:
        out = tmp_path / "report"
        dsn = server.conninfo("postgres", user="auditor", password=secret)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "audit",
                "audit",
                "--dsn",
                dsn,
                "--sample-seconds",
                "1",
                "--interval",
                "0.5",
                "--out",
                str(out),
                "--fail-on",
                "never",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert secret not in result.stdout + result.stderr
        files = sorted(out.iterdir())
        assert {"facts.json", "report.json", "report.html", "report.pdf"} <= {f.name for f in files}
        settings = json.loads((out / "facts.json").read_text())["settings"]
        assert "password=***" in settings["primary_conninfo"]["value"]
        for path in files:
            data = path.read_bytes()
            assert secret.encode() not in data, path.name
            assert replication_secret.encode() not in data, path.name
    finally:
        with server.connect() as conn:
            conn.execute("ALTER SYSTEM RESET primary_conninfo")
            conn.execute("SELECT pg_reload_conf()")


def test_waivers_mark_findings_and_expired_ones_are_findings(tmp_path: Path) -> None:
    """Against the committed demo facts: a live waiver waives, an expired one is reported."""
    sample = Path(__file__).resolve().parents[1] / "sample_outputs" / "demo"
    config = tmp_path / "cdc-preflight.toml"
    config.write_text(
        (sample / "cdc-preflight.toml").read_text()
        + '\n[[waivers]]\nrule = "CDC103"\nsubject = "shop.*"\nreason = "cache, rebuilt on start"'
        + '\n\n[[waivers]]\nrule = "table-without-replica-identity"\nsubject = "shop.audit_log"'
        + '\nreason = "append-only"\nexpires = 2020-01-01\n'
    )
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "audit",
            "analyze",
            str(sample / "facts.json"),
            "--out",
            str(out),
            "--config",
            str(config),
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    findings = json.loads((out / "report.json").read_text())["findings"]
    waived = {(f["code"], f["subject"], f["waiver_reason"]) for f in findings if f["waived"]}
    assert waived == {("CDC103", "shop.session_cache", "cache, rebuilt on start")}
    audit_log = [f for f in findings if f["subject"] == "shop.audit_log" and f["code"] == "CDC101"]
    assert [f["waived"] for f in audit_log] == [False]
    assert [f["subject"] for f in findings if f["code"] == "CDC016"] == [
        "waiver:table-without-replica-identity:shop.audit_log"
    ]
