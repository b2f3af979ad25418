"""A fleet over a real PostgreSQL server started by the tests: several databases on it, a
closed port and a port that accepts and never answers. One bad target never sinks the others;
fleet.json, fleet.csv and fleet.html say what happened to each; Ctrl-C stops the children and
still writes the summary."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from audit.demo.localpg import LocalPostgres, available_majors

pytestmark = [pytest.mark.pg, pytest.mark.slow]

HOSTILE = '=1+1 <script>alert("x")</script> & co'


@pytest.fixture
def server(server_pool: Any) -> LocalPostgres:
    """One server (the newest of 15 and 18 found): the fleet logic does not vary by major."""
    majors = [m for m in (18, 15) if m in available_majors()]
    if not majors:
        pytest.skip("no PostgreSQL 15 or 18 binaries")
    server: LocalPostgres = server_pool.get(majors[0], {"wal_level": "replica"})
    return server


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts TCP connections (the kernel's backlog) and never answers a startup packet."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dsn(server: LocalPostgres, dbname: str, port: int | None = None) -> str:
    return f"host=127.0.0.1 port={port or server.port} dbname={dbname} user=postgres"


def target(name: str, dsn_text: str, **extra: str | float) -> str:
    lines = [f"[[targets]]\nname = {json.dumps(name)}\ndsn = {json.dumps(dsn_text)}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def fleet_env(server: LocalPostgres) -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": server.superuser_password}


def run_fleet(
    server: LocalPostgres, *args: str | Path, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit", "fleet", *map(str, args)],
        capture_output=True,
        text=True,
        env=fleet_env(server),
        timeout=timeout,
        check=False,
    )


class Rows(HTMLParser):
    """The target rows of fleet.html: status, verdict, row text and links."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append({**found, "text": "", "links": []})
        elif tag == "a" and self.in_body and self.rows:
            self.rows[-1]["links"].append(found["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_body = False

    def handle_data(self, data: str) -> None:
        if self.in_body and self.rows:
            self.rows[-1]["text"] += data


def html_rows(out: Path) -> list[dict[str, Any]]:
    parser = Rows()
    parser.feed((out / "fleet.html").read_text())
    return parser.rows


def check_csv(out: Path, document: dict[str, Any]) -> None:
    """One row per target, parsed by the csv module; a formula stays text."""
    by_name = {t["name"]: t for t in document["targets"]}
    rows = list(csv.DictReader(io.StringIO((out / "fleet.csv").read_text())))
    assert [r["name"] for r in rows] == ["orders", "billing", "'" + HOSTILE, "closed", "black-hole"]
    assert rows[0]["status"] == "audited" and rows[3]["status"] == "failed"
    assert rows[0]["critical"] == str(by_name["orders"]["counts"]["critical"])
    assert rows[2]["labels"] == 'env=test;owner==HYPERLINK("http://evil")'
    assert rows[4]["error"].startswith("no result within")


def check_html(out: Path) -> None:
    """Worst first, a link to each audited report, the hostile name escaped."""
    page = (out / "fleet.html").read_text()
    assert (
        "<script>alert" not in page
        and "=1+1 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in page
    )
    table = html_rows(out)
    assert [r["data-status"] for r in table[:2]] == ["failed", "failed"]
    assert [r["data-status"] for r in table[2:]] == ["audited"] * 3
    ranks = {"not_ready": 0, "ready_with_risks": 1, "ready": 2}
    verdicts = [ranks[r["data-verdict"]] for r in table[2:]]
    assert verdicts == sorted(verdicts)
    for row in table[2:]:
        (link,) = row["links"]
        assert (out / link).is_file() and link.endswith("/report.html")
    assert any(HOSTILE in r["text"] for r in table)
    assert all(any(link.startswith("logs/") for link in r["links"]) for r in table[:2])


def test_history_shows_what_is_new_and_fail_on_new_decides(
    server: LocalPostgres, make_db: Callable[[LocalPostgres], str], tmp_path: Path
) -> None:
    orders, billing = make_db(server), make_db(server)
    fleet_file = tmp_path / "FLEET.toml"
    fleet_file.write_text(
        "[defaults]\nsample_seconds = 1\ninterval = 0.5\n"
        + target("orders", dsn(server, orders))
        + target("billing", dsn(server, billing))
    )
    history = tmp_path / "history.db"
    args = ("--concurrency", "2", "--history", history, "--fail-on-new", "medium")
    first = run_fleet(server, fleet_file, "--out", tmp_path / "w1", *args)
    assert first.returncode == 0, first.stderr + first.stdout  # known debt is not new
    with server.connect(billing) as conn:
        conn.execute("CREATE TABLE ledger (id bigint, amount numeric)")  # new: no key
    second = run_fleet(server, fleet_file, "--out", tmp_path / "w2", *args)
    assert second.returncode == 1, second.stderr + second.stdout
    document = json.loads((tmp_path / "w2" / "fleet.json").read_text())
    by_name = {t["name"]: t for t in document["targets"]}
    assert by_name["orders"]["new_findings"] == [] and by_name["orders"]["exit_code"] == 0
    new = by_name["billing"]["new_findings"]
    assert {(f["code"], f["subject"]) for f in new} >= {("CDC101", "public.ledger")}
    assert by_name["billing"]["exit_code"] == 1
    assert document["history"] == str(history)


def test_one_bad_target_never_sinks_the_others(
    server: LocalPostgres,
    make_db: Callable[[LocalPostgres], str],
    silent_port: int,
    closed_port: int,
    tmp_path: Path,
) -> None:
    orders, billing, crm = (make_db(server) for _ in range(3))
    with server.connect(orders) as conn:
        conn.execute("CREATE TABLE events (id bigint, payload text)")  # no key: CDC101
        conn.execute("INSERT INTO events SELECT g, 'x' FROM generate_series(1, 1000) g")
    with server.connect(billing) as conn:
        conn.execute("CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric)")
    fleet_file = tmp_path / "FLEET.toml"
    fleet_file.write_text(
        '[defaults]\nsample_seconds = 1\ninterval = 0.5\nlabels = { env = "test" }\n\n'
        + target("orders", dsn(server, orders))
        + target("billing", dsn(server, billing), profile="dms")
        + target(HOSTILE, dsn(server, crm))
        + "labels = { owner = '=HYPERLINK(\"http://evil\")' }\n"
        + target("closed", dsn(server, "x", closed_port))
        + target("black-hole", dsn(server, "x", silent_port), timeout_seconds=4)
    )
    out = tmp_path / "out"
    history = tmp_path / "history.db"
    started = time.monotonic()
    result = run_fleet(server, fleet_file, "--out", out, "--concurrency", "5", "--history", history)
    took = time.monotonic() - started
    assert result.returncode == 3, result.stderr + result.stdout
    assert "Traceback" not in result.stderr

    document = json.loads((out / "fleet.json").read_text())
    by_name = {t["name"]: t for t in document["targets"]}
    assert [t["name"] for t in document["targets"]] == [
        "orders", "billing", HOSTILE, "closed", "black-hole"
    ]  # fmt: skip
    assert document["exit_code"] == 3 and document["interrupted"] is None
    assert document["totals"]["audited"] == 3 and document["totals"]["failed"] == 2

    for name in ("orders", "billing", HOSTILE):
        entry = by_name[name]
        assert entry["status"] == "audited", entry
        report = json.loads((out / entry["folder"] / "report.json").read_text())
        assert entry["verdict"] == report["verdict"] and entry["counts"] == report["counts"]
        assert entry["report_id"] == report["report_id"]
        assert entry["exit_code"] in (0, 1)
        assert entry["new_findings"] == []  # first run of each target in the history
        assert entry["figures"]["wal_now_bytes_per_s"] is not None
        assert (out / entry["report"]).is_file()
    assert by_name["billing"]["profile"] == "dms"
    assert by_name["orders"]["figures"]["tables"] == 1.0
    assert by_name[HOSTILE]["labels"] == {"env": "test", "owner": '=HYPERLINK("http://evil")'}

    closed = by_name["closed"]
    assert closed["status"] == "failed" and closed["exit_code"] == 3
    assert "cannot connect" in closed["error"] and "Connection refused" in closed["error"]
    hole = by_name["black-hole"]
    assert hole["status"] == "failed"
    assert hole["error"] == "no result within timeout_seconds = 4: stopped"
    assert 4 <= hole["seconds"] < 4 + 10 + 5  # killed at its timeout (SIGTERM, grace, SIGKILL)
    assert took < 60  # nobody waited for the black hole longer than its own timeout
    assert (out / hole["log"]).is_file()

    # the history holds the three audited runs, one target each
    listing = subprocess.run(
        [sys.executable, "-m", "audit", "history", "list", "--history", str(history),
         "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert len(json.loads(listing.stdout)) == 3

    check_csv(out, document)
    check_html(out)


def _children_of(out: Path) -> list[int]:
    """Audit processes still running whose --out is inside ``out``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"audit" in cmdline and any(str(out).encode() in part for part in cmdline):
            found.append(int(entry.name))
    return found


def test_ctrl_c_stops_the_children_and_writes_what_finished(
    server: LocalPostgres, make_db: Callable[[LocalPostgres], str], tmp_path: Path
) -> None:
    names = [make_db(server) for _ in range(3)]
    fleet_file = tmp_path / "FLEET.toml"
    fleet_file.write_text(
        "[defaults]\nsample_seconds = 60\ninterval = 1\n"
        + "".join(target(f"t{i}", dsn(server, n)) for i, n in enumerate(names))
    )
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "audit", "fleet", str(fleet_file), "--out", str(out),
         "--concurrency", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=fleet_env(server),
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # both running audits are sampling
        logs = list((out / "logs").glob("*.log")) if (out / "logs").is_dir() else []
        if len(logs) == 2 and len(_children_of(out)) >= 2:
            break
        time.sleep(0.2)
    time.sleep(3)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr + stdout
    document = json.loads((out / "fleet.json").read_text())
    assert document["interrupted"] == "SIGINT" and document["exit_code"] == 130
    statuses = sorted(t["status"] for t in document["targets"])
    assert statuses == ["interrupted", "interrupted", "not_run"]
    for entry in document["targets"]:
        if entry["status"] == "interrupted":
            assert entry["exit_code"] == 130  # the audit itself stopped on the passed-on SIGINT
            assert entry["error"] == "interrupted by SIGINT"
    assert "INTERRUPTED" in (out / "fleet.html").read_text()
    assert _children_of(out) == []
