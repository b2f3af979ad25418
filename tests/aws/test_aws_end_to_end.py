"""`cdc-preflight audit` against a real PostgreSQL playing an Aurora writer, plus a simulated
control plane (moto on 127.0.0.1) whose writer waits for a reboot: the critical finding names
the writer and the reboot command. The CLI runs as a subprocess that only knows the
simulator's endpoint through botocore's own AWS_ENDPOINT_URL variable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit.demo import engine_version
from audit.demo.aws_simulation import simulated_aurora
from tests.conftest import ServerPool


@pytest.mark.pg
def test_audit_names_the_writer_and_its_reboot_command(
    server_pool: ServerPool, pg_major: int, tmp_path: Path
) -> None:
    # Aurora's running value before the reboot: a custom setting on community PostgreSQL.
    server = server_pool.get(
        pg_major,
        {"wal_level": "replica", "rds.logical_replication": "off", "max_replication_slots": "4"},
    )
    version = engine_version(server.version_num)
    out = tmp_path / "report"
    with simulated_aurora(engine_version=version) as sim:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("AWS_")
            or key in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
        }
        env.update(sim.env)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "audit",
                "audit",
                "--dsn",
                server.conninfo(),
                "--sample-seconds",
                "1",
                "--interval",
                "0.5",
                "--out",
                str(out),
                "--format",
                "json,md,html",
                "--aws-cluster-id",
                sim.cluster_id,
                "--aws-region",
                sim.region,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            env=env,
        )
        writer, reader = sim.writer_id, sim.reader_id
    assert result.returncode == 1, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["labels"]["simulated"] == "aws"
    critical = [f for f in report["findings"] if f["severity"] == "critical"]
    [pending] = [f for f in critical if f["code"] == "CDC403"]
    assert pending["subject"] == f"instance:{writer}"
    assert writer in pending["message"]
    assert pending["fix"] is not None
    commands = [step["text"] for step in pending["fix"]["steps"] if step["kind"] == "aws_cli"]
    assert any(
        c.startswith(f"aws rds reboot-db-instance --db-instance-identifier {writer}")
        for c in commands
    )
    assert "CDC001" not in {f["code"] for f in report["findings"]}  # CDC403 owns it on AWS
    reader_findings = [f for f in report["findings"] if f["code"] == "CDC404"]
    assert [f["subject"] for f in reader_findings] == [f"instance:{reader}"]
    assert "SIMULATED" in (out / "report.md").read_text().upper()

    # One platform: the audit's particulars, Markdown and JSON name the same engine, version,
    # cluster, writer, region.
    assert report["target"] == report["target"] | {
        "platform": "aurora-postgresql",
        "server_version": version,
        "cluster": sim.cluster_id,
        "writer": writer,
        "region": sim.region,
        "version_mismatch": None,
    }
    markdown = (out / "report.md").read_text()
    assert (
        f"- **Platform:** aurora-postgresql {version}; cluster {sim.cluster_id}, writer "
        f"{writer}, region {sim.region}\n"
    ) in markdown
    html = (out / "report.html").read_text()
    about = html[html.index('<section class="about"') : html.index('<nav class="toc"')]
    for row in (
        f'Engine</th><td>aurora-postgresql</td><th scope="row">Version</th><td>{version}</td>',
        f'Cluster</th><td><code>{sim.cluster_id}</code></td><th scope="row">Writer</th>'
        f"<td><code>{writer}</code></td>",
        f'Region</th><td colspan="3">{sim.region}</td>',
    ):
        assert row in about
    # The settings inventory shows what the pending reboot applies, wal_level derived.
    staged = {s["name"]: s for s in report["inventory"]["settings"] if s["configured"]}
    assert {n: (s["value"], s["configured"]) for n, s in staged.items()} == {
        "max_replication_slots": ("4", "10"),
        "rds.logical_replication": ("off", "1"),
        "wal_level": ("replica", "logical"),
    }
    assert {s["applies_at"] for s in staged.values()} == {"writer reboot"}
    assert staged["wal_level"]["configured_source"].startswith(
        "derived from rds.logical_replication=1 (cluster parameter group "
    )
    assert "pending writer reboot" in html
    # CDC403 says how this audit measured WAL: the local server reports WAL positions.
    facts = json.loads((out / "facts.json").read_text())
    assert "lsn" in facts["sampling"]["methods"]
    assert pending["evidence"]["wal_positions_read"] is True
    assert "measured with pg_current_wal_lsn(), which this server reports" in pending["message"]
    assert "rds.logical_replication=off" in pending["message"]
