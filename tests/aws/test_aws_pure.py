"""The pure decisions behind the AWS rules: flags, versions, precedence, status, trends."""

from __future__ import annotations

import pytest

from audit.engine import NotEvaluated, known
from audit.facts import CollectionIssue, dump_facts, parse_facts
from audit.facts.aws import AwsParameterGroup, AwsParameterGroupStatus
from audit.platform.reconcile import (
    Running,
    configured,
    flag,
    major_of,
    readers_survive_writer_reboot,
    running_on_writer,
    unapplied,
)
from audit.remedy import ChangeWindow
from audit.remedy.aws_cli import Target, reboot, reboot_impact, set_parameter
from audit.remedy.settings import deciding_group
from rules._aws_facts import aws_facts_for
from rules._trends import MIN_RISE_BYTES, runway_hours, trend
from tests.aws.builders import (
    CLUSTER_GROUP,
    INSTANCE_GROUP,
    RDS_GROUP,
    READER,
    WRITER,
    aurora_aws,
    aurora_facts,
    event,
    parameter,
    rds_aws,
    rds_facts,
    series,
    with_cluster,
    with_cluster_parameters,
    with_instance_parameters,
    with_member,
)
from tests.factories import aurora, facts, rds, server, settings

GIB = 1024**3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("on", True),
        (" ON ", True),
        ("0", False),
        ("off", False),
        (None, None),
        ("x", None),
    ],
)
def test_flag_reads_postgres_and_rds_spellings(value: str | None, expected: bool | None) -> None:
    assert flag(value) is expected


@pytest.mark.parametrize(
    ("version", "survive"),
    [
        ("15.2", True),
        ("15.1", False),
        ("14.7", True),
        ("14.6", False),
        ("13.10", True),
        ("13.9", False),
        ("12.14", True),
        ("12.13", False),
        ("11.21", False),
        ("16.1", True),
        ("17.4", True),
        (None, None),
        ("banana", None),
    ],
)
def test_read_availability_gate_follows_the_aurora_docs(
    version: str | None, survive: bool | None
) -> None:
    assert readers_survive_writer_reboot(version) is survive


def test_major_of_engine_versions() -> None:
    assert major_of("15.4") == 15
    assert major_of("16.3") == 16
    assert major_of(None) is None


def test_unapplied_lists_every_status_but_in_sync() -> None:
    aws = with_member(
        aurora_aws(),
        WRITER,
        cluster_pg_status="pending-reboot",
        parameter_groups=[
            AwsParameterGroupStatus(name=INSTANCE_GROUP, apply_status="failed-to-apply"),
            AwsParameterGroupStatus(name="other", apply_status="in-sync"),
        ],
    )
    assert aws.writer is not None
    assert unapplied(aws.writer) == {
        "DBClusterParameterGroupStatus": "pending-reboot",
        f"ParameterApplyStatus({INSTANCE_GROUP})": "failed-to-apply",
    }
    assert unapplied(aws.readers[0]) == {}


def test_configured_aurora_instance_override_wins_for_its_members_only() -> None:
    aws = with_instance_parameters(
        aurora_aws(), INSTANCE_GROUP, parameter("rds.logical_replication", "0")
    )
    aws = with_member(
        aws,
        READER,
        parameter_groups=[AwsParameterGroupStatus(name="plain", apply_status="in-sync")],
    )
    groups = {**(aws.instance_parameter_groups or {}), "plain": AwsParameterGroup(name="plain")}
    groups["plain"] = groups["plain"].model_copy(update={"parameters": {}})
    aws = aws.model_copy(update={"instance_parameter_groups": groups})
    the_facts = aurora_facts(aws)
    assert aws.writer is not None
    writer = configured(the_facts, aws, "rds.logical_replication", aws.writer)
    assert (writer.value, writer.group, writer.level) == ("0", INSTANCE_GROUP, "instance")
    reader = configured(the_facts, aws, "rds.logical_replication", aws.readers[0])
    assert (reader.value, reader.group, reader.level) == ("1", CLUSTER_GROUP, "cluster")


def test_configured_ignores_engine_defaults_in_aurora_instance_groups() -> None:
    aws = with_instance_parameters(
        aurora_aws(),
        INSTANCE_GROUP,
        parameter("rds.logical_replication", "0", source="engine-default"),
    )
    assert aws.writer is not None
    assert configured(aurora_facts(aws), aws, "rds.logical_replication", aws.writer).value == "1"


def test_configured_unset_parameter_is_the_engine_default() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter("max_wal_senders", "20"))
    assert aws.writer is not None
    found = configured(aurora_facts(aws), aws, "aurora.enhanced_logical_replication", aws.writer)
    assert found.value is None and found.parameter is None and not found.is_on


def test_configured_rds_reads_the_instance_group() -> None:
    aws = rds_aws()
    assert aws.writer is not None
    found = configured(rds_facts(aws), aws, "rds.logical_replication", aws.writer)
    assert (found.value, found.group, found.level) == ("1", RDS_GROUP, "instance")


def test_configured_unreadable_cluster_group_is_not_evaluated_with_the_issue() -> None:
    aws = aurora_aws(
        cluster_parameter_group=aurora_aws().cluster_parameter_group.model_copy(  # type: ignore[union-attr]
            update={"parameters": None}
        )
    )
    issue = CollectionIssue(
        family="aws.cluster_parameters", reason="rds:DescribeDBClusterParameters denied"
    )
    assert aws.writer is not None
    with pytest.raises(NotEvaluated, match="rds:DescribeDBClusterParameters denied"):
        configured(aurora_facts(aws, issues=[issue]), aws, "rds.logical_replication", aws.writer)


def test_configured_notes_when_instance_overrides_are_unknown() -> None:
    aws = aurora_aws(instance_parameter_groups=None)
    assert aws.writer is not None
    found = configured(aurora_facts(aws), aws, "rds.logical_replication", aws.writer)
    assert found.value == "1"
    assert "instance_overrides" in found.evidence()


@pytest.mark.parametrize(
    ("rds_flag", "wal_level", "expected"),
    [
        ("on", "logical", True),
        ("off", "replica", False),
        ("on", "replica", False),  # the flag says on, wal_level says not yet
        ("0", None, False),
        (None, "logical", True),
        (None, None, None),
    ],
)
def test_running_logical_decoding_any_off_signal_wins(
    rds_flag: str | None, wal_level: str | None, expected: bool | None
) -> None:
    assert Running(rds_flag, wal_level).logical_decoding is expected


def test_running_is_unknown_on_a_reader_or_without_settings() -> None:
    on_reader = aurora_facts(server=aurora(in_recovery=True))
    assert running_on_writer(on_reader).unknown_reason is not None
    no_settings = aurora_facts(settings=None)
    assert running_on_writer(no_settings).unknown_reason is not None
    demo = aurora_facts(settings=settings({"rds.logical_replication": "off"}, wal_level="replica"))
    assert running_on_writer(demo).logical_decoding is False


def test_growing_series_is_a_steady_rise_that_has_not_drained() -> None:
    steady = trend(series("OldestReplicationSlotLag", [i * 50 * 1024**2 for i in range(25)]))
    assert steady is not None and steady.is_growing
    assert steady.rise == pytest.approx(24 * 50 * 1024**2)
    assert steady.slope_per_hour == pytest.approx(50 * 1024**2)
    drained = trend(series("OldestReplicationSlotLag", [*(i * GIB for i in range(12)), 0, 0, 0]))
    assert drained is not None and not drained.is_growing
    sawtooth = trend(series("OldestReplicationSlotLag", [0, 64e6, 0, 64e6, 0, 64e6, 0] * 4))
    assert sawtooth is not None and not sawtooth.is_growing
    small = trend(series("OldestReplicationSlotLag", [0, MIN_RISE_BYTES / 4, MIN_RISE_BYTES / 2]))
    assert small is not None and not small.is_growing


def test_trend_ignores_negative_points_and_needs_three() -> None:
    assert trend(series("TransactionLogsDiskUsage", [-1, -1, -1, -1])) is None
    assert trend(series("TransactionLogsDiskUsage", [1.0, 2.0])) is None
    mixed = trend(series("TransactionLogsDiskUsage", [-1, -1, 0, GIB, 2 * GIB]))
    assert mixed is not None and mixed.points == 3


def test_runway_hours() -> None:
    assert runway_hours(10 * GIB, GIB) == 10
    assert runway_hours(10 * GIB, 0) is None
    assert runway_hours(-5, GIB) == 0


def test_reboot_command_and_impact_by_version() -> None:
    aws = aurora_aws()
    step = reboot(Target.of(aws, aurora=True), WRITER, why="applies it")
    assert step.text == (
        "aws rds reboot-db-instance --db-instance-identifier orders-1 --region eu-west-1"
    )
    assert step.window is ChangeWindow.WRITER_REBOOT and step.restarts == WRITER
    assert step.comment is not None and "readers stay up" in step.comment
    old = with_cluster(aws, engine_version="14.6")
    assert "reboots every reader" in reboot_impact(Target.of(old, aurora=True))
    assert "instance" in reboot_impact(Target.of(rds_aws(), aurora=False))
    reader = reboot(Target.of(aws, aurora=True), READER, why="applies its groups")
    assert reader.window is ChangeWindow.RESTART


def test_set_parameter_for_a_default_group_creates_and_attaches_one() -> None:
    aws = with_cluster(aurora_aws(), parameter_group="default.aurora-postgresql15")
    aws = aws.model_copy(
        update={
            "cluster_parameter_group": aws.cluster_parameter_group.model_copy(  # type: ignore[union-attr]
                update={"name": "default.aurora-postgresql15", "parameters": {}}
            )
        }
    )
    the_facts = aurora_facts(aws)
    group = deciding_group(the_facts, "rds.logical_replication")
    assert group.name == "default.aurora-postgresql15" and group.is_default
    steps = set_parameter(
        Target.of(aws, aurora=True), group, "rds.logical_replication", "1", static=True
    )
    texts = [s.text for s in steps]
    assert texts[0].startswith("aws rds create-db-cluster-parameter-group ")
    assert "--db-parameter-group-family aurora-postgresql15" in texts[0]
    assert texts[1].startswith(
        "aws rds modify-db-cluster-parameter-group --db-cluster-parameter-group-name orders-cdc "
    )
    assert "ParameterName=rds.logical_replication,ParameterValue=1" in texts[1]
    assert texts[2].startswith("aws rds modify-db-cluster --db-cluster-identifier orders ")
    assert texts[3].startswith("aws rds reboot-db-instance --db-instance-identifier orders-1 ")
    assert [s.restarts for s in steps] == [None, None, None, WRITER]


def test_set_parameter_for_a_custom_rds_group_only_modifies_it_and_reboots() -> None:
    aws = rds_aws()
    the_facts = rds_facts(aws)
    group = deciding_group(the_facts, "rds.logical_replication")
    steps = set_parameter(
        Target.of(aws, aurora=False), group, "rds.logical_replication", "1", static=True
    )
    assert [s.text for s in steps] == [
        "aws rds modify-db-parameter-group --db-parameter-group-name billing-pg16 --parameters "
        "ParameterName=rds.logical_replication,ParameterValue=1,ApplyMethod=pending-reboot "
        "--region eu-west-1",
        "aws rds reboot-db-instance --db-instance-identifier billing --region eu-west-1",
    ]
    assert [s.window for s in steps] == [ChangeWindow.RESTART, ChangeWindow.RESTART]


def test_set_parameter_dynamic_applies_immediately_without_a_reboot() -> None:
    aws = rds_aws()
    group = deciding_group(rds_facts(aws), "wal_sender_timeout")
    [step] = set_parameter(
        Target.of(aws, aurora=False), group, "wal_sender_timeout", "60000", static=False
    )
    assert "ApplyMethod=immediate" in step.text
    assert step.window is ChangeWindow.RELOAD and step.restarts is None


def test_applicability_self_managed_passes_aws_targets_are_not_evaluated() -> None:
    assert aws_facts_for(facts()) is None
    with pytest.raises(NotEvaluated, match="aurora-postgresql"):
        aws_facts_for(facts(server=aurora()))
    with pytest.raises(NotEvaluated, match="rds-postgresql"):
        aws_facts_for(facts(server=rds()))
    denied = CollectionIssue(family="aws", reason="rds:DescribeDBClusters denied")
    with pytest.raises(NotEvaluated, match="rds:DescribeDBClusters denied"):
        aws_facts_for(facts(server=server(), issues=[denied]))
    with pytest.raises(NotEvaluated, match="server identity unknown"):
        aws_facts_for(facts(server=None))
    assert aws_facts_for(aurora_facts()) is not None


def test_known_names_the_issue_of_the_family() -> None:
    issue = CollectionIssue(family="aws.events", reason="rds:DescribeEvents denied")
    with pytest.raises(NotEvaluated, match="rds:DescribeEvents denied"):
        known(facts(issues=[issue]), None, "aws.events")
    with pytest.raises(NotEvaluated, match=r"aws\.metrics was not collected"):
        known(facts(), None, "aws.metrics")
    assert known(facts(), [], "aws.events") == []


def test_aws_facts_round_trip_through_facts_json() -> None:
    aws = aurora_aws(
        events=[event("Completed failover to DB instance: orders-1")],
        metrics=[series("WriteThroughput", [1.0, 2.5, 3.0], unit="Bytes/Second")],
    )
    original = aurora_facts(aws, settings=settings({"rds.logical_replication": "on"}))
    assert parse_facts(dump_facts(original)) == original
    assert original.aws is not None and original.aws.window_hours == 24
