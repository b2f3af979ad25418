"""`cdc-preflight demo --aurora`, in process: the simulated cluster is the server the demo runs.

The local PostgreSQL plays the writer; the simulated control plane must say the same engine
version, and what the writer runs must match what its parameter groups say is applied.
"""

from __future__ import annotations

import pytest

from audit.demo import engine_version, run_demo
from audit.demo.aws_simulation import WRITER_RUNNING
from audit.platform.staged import staged_settings


@pytest.mark.pg
def test_demo_aurora_cluster_matches_its_server() -> None:
    lines: list[str] = []
    facts = run_demo(sample_seconds=1, interval=0.5, log=lines.append, aurora=True)
    assert facts.server is not None and facts.aws is not None and facts.aws.cluster is not None
    version = engine_version(facts.server.version_num)
    assert facts.aws.cluster.engine_version == version
    assert {m.engine_version for m in facts.aws.members or []} == {version}
    platform = facts.platform
    assert (platform.engine, platform.version, platform.version_mismatch) == (
        "aurora-postgresql", version, None,
    )  # fmt: skip
    assert platform.simulated
    assert any(f"SIMULATED aurora-postgresql {version}" in line for line in lines)
    for name, value in WRITER_RUNNING.items():
        running = facts.setting(name)
        assert running is not None and running.value == value
    staged = staged_settings(facts)
    assert set(staged) == {
        "max_replication_slots",
        "max_wal_senders",
        "rds.logical_replication",
        "wal_level",
    }  # the applied instance override (logical_decoding_work_mem) is not staged
    assert staged["wal_level"].derived_from is not None
