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

from audit.aws.simulate import simulated_aurora
from tests.conftest import ServerPool


@pytest.mark.pg
def test_audit_names_the_writer_and_its_reboot_command(
    server_pool: ServerPool, pg_major: int, tmp_path: Path
) -> None:
    # Aurora's running value before the reboot: a custom setting on community PostgreSQL.
    server = server_pool.get(pg_major, {"wal_level": "replica", "rds.logical_replication": "off"})
    out = tmp_path / "report"
    with simulated_aurora() as sim:
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
                "json,md",
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
    assert f"aws rds reboot-db-instance --db-instance-identifier {writer}" in pending["fix"]
    assert "CDC001" not in {f["code"] for f in report["findings"]}  # CDC403 owns it on AWS
    reader_findings = [f for f in report["findings"] if f["code"] == "CDC404"]
    assert [f["subject"] for f in reader_findings] == [f"instance:{reader}"]
    assert "SIMULATED" in (out / "report.md").read_text().upper()
