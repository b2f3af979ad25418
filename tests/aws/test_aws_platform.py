"""Facts.platform: engine, version, cluster, writer and region decided once, AWS facts first."""

from __future__ import annotations

from audit.facts.platform import Engine, major_minor
from tests.aws.builders import (
    CLUSTER,
    RDS_INSTANCE,
    WRITER,
    aurora_aws,
    aurora_facts,
    rds_aws,
    rds_facts,
    with_cluster,
)
from tests.factories import aurora, facts, rds, server


def test_the_control_plane_names_the_engine_cluster_writer_and_region() -> None:
    platform = aurora_facts().platform
    assert (platform.engine, platform.version, platform.aws_engine_version) == (
        Engine.AURORA, "15.4", "15.4",
    )  # fmt: skip
    assert (platform.cluster, platform.writer, platform.region) == (CLUSTER, WRITER, "eu-west-1")
    assert platform.is_aurora and platform.is_managed and not platform.is_rds
    assert platform.version_mismatch is None


def test_aws_facts_win_over_a_server_that_does_not_look_managed() -> None:
    """The demo: community PostgreSQL plays the writer of a (simulated) Aurora cluster."""
    aws = with_cluster(aurora_aws(), engine_version="18.6").model_copy(update={"simulated": True})
    platform = facts(server=server(version="18.6", version_num=180006), aws=aws).platform
    assert platform.engine is Engine.AURORA
    assert platform.simulated
    assert platform.decided_by == "AWS control plane (simulated): Engine=aurora-postgresql"
    assert platform.version_mismatch is None


def test_a_version_the_control_plane_disagrees_with_is_named() -> None:
    the_facts = aurora_facts(server=aurora(version="16.2", version_num=160002))
    assert the_facts.platform.version == "16.2"
    assert the_facts.platform.major == 16
    assert the_facts.platform.version_mismatch == (
        "the server runs 16.2 but the AWS control plane says 15.4"
    )


def test_an_rds_instance_is_rds() -> None:
    platform = rds_facts().platform
    assert (platform.engine, platform.cluster, platform.writer) == (
        Engine.RDS, None, RDS_INSTANCE,
    )  # fmt: skip
    assert platform.is_rds and platform.is_managed and not platform.is_aurora


def test_an_instance_engine_overrides_the_source_guess() -> None:
    aws = rds_aws()
    members = [m.model_copy(update={"engine": "aurora-postgresql"}) for m in aws.members or []]
    platform = rds_facts(aws.model_copy(update={"members": members})).platform
    assert platform.engine is Engine.AURORA


def test_without_aws_facts_the_server_decides() -> None:
    assert facts(server=aurora(), aws=None).platform.engine is Engine.AURORA
    assert facts(server=rds(), aws=None).platform.engine is Engine.RDS
    plain = facts(server=server(), aws=None).platform
    assert (plain.engine, plain.version, plain.cluster, plain.region) == (
        Engine.POSTGRESQL, "17.2", None, None,
    )  # fmt: skip
    assert facts(server=None, aws=None).platform.version is None


def test_the_version_is_major_minor_without_a_distribution_suffix() -> None:
    debian = server(version="15.14 (Debian 15.14-1.pgdg120+1)", version_num=150014)
    assert facts(server=debian, aws=None).platform.version == "15.14"
    assert major_minor("15.14 (Debian 15.14-1)") == (15, 14)
    assert major_minor("17") == (17, None)
