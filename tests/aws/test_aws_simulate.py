"""The simulator behind `cdc-preflight demo --aurora`: moto's server on 127.0.0.1, a
pending-reboot writer, a failover, metrics; everything read from it is labelled simulated."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.rds.models import DBCluster

from audit.collect import AwsOptions
from audit.collect.aws import collect_aws
from audit.demo.aws_simulation import SimulatedAws, simulated_aurora
from audit.engine import Status, find_rule
from audit.facts import Facts
from tests.factories import facts, run, settings


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedAws]:
    original = DBCluster.db_cluster_members
    with simulated_aurora(cluster_id="demo-aurora", engine_version="18.6") as running:
        yield running
    assert DBCluster.db_cluster_members is original  # the moto patch is undone


def test_endpoint_is_loopback_and_env_is_complete(sim: SimulatedAws) -> None:
    assert sim.endpoint_url.startswith("http://127.0.0.1:")
    assert sim.env == {
        "AWS_ENDPOINT_URL": sim.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": sim.region,
    }


def test_collect_sees_the_writer_pending_reboot(sim: SimulatedAws) -> None:
    aws, issues = collect_aws(sim.options(), dsn_host=None, session=sim.session())
    assert issues == []
    assert aws is not None and aws.simulated
    assert aws.writer is not None and aws.writer.instance_id == sim.writer_id
    assert aws.writer.cluster_pg_status == "pending-reboot"
    group = aws.cluster_parameter_group
    assert group is not None and group.parameters is not None
    assert group.parameters["rds.logical_replication"].value == "1"
    assert any(e.message.startswith("Completed failover") for e in aws.events or [])
    write = aws.series("WriteThroughput")
    assert write is not None and len(write.points) >= 280


def test_environment_alone_reaches_it_like_a_subprocess(
    sim: SimulatedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sim.env.items():
        monkeypatch.setenv(name, value)
    aws, issues = collect_aws(AwsOptions(), dsn_host=sim.cluster_endpoint)
    assert issues == []
    assert aws is not None and aws.simulated
    assert aws.cluster is not None and aws.cluster.identifier == sim.cluster_id


@pytest.fixture(scope="module")
def demo_facts(sim: SimulatedAws) -> Facts:
    """What `demo --aurora` evaluates: the local server's settings plus the simulated AWS."""
    aws, issues = collect_aws(sim.options(), dsn_host=None, session=sim.session())
    return facts(
        settings=settings({"rds.logical_replication": "off"}, wal_level="replica"),
        aws=aws,
        issues=issues,
        labels={"simulated": "aws"},
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("CDC401", Status.PASS),
        ("CDC402", Status.PASS),
        ("CDC403", Status.FAIL),
        ("CDC404", Status.FAIL),
        ("CDC405", Status.FAIL),
        ("CDC406", Status.PASS),
        ("CDC407", Status.FAIL),
        ("CDC408", Status.PASS),
        ("CDC409", Status.PASS),
        ("CDC410", Status.PASS),
    ],
)
def test_demo_findings(demo_facts: Facts, code: str, status: Status) -> None:
    rule = find_rule(code)
    assert rule is not None
    assert run(rule, demo_facts).status is status


def test_the_cluster_runs_the_engine_version_it_was_given(sim: SimulatedAws) -> None:
    aws, _ = collect_aws(sim.options(), dsn_host=None, session=sim.session())
    assert aws is not None and aws.cluster is not None
    assert aws.cluster.engine_version == "18.6"
    assert {m.engine_version for m in aws.members or []} == {"18.6"}
    assert {m.engine for m in aws.members or []} == {"aurora-postgresql"}
    assert aws.cluster_parameter_group is not None
    assert aws.cluster_parameter_group.family == "aurora-postgresql18"
