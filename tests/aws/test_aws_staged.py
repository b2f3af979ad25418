"""staged_settings: one reconciliation of configured against running, for every output.

The parameter groups (and pg_file_settings) say what is configured; SHOW on the writer says
what runs; a value is staged when they differ and something explains why it is not applied
yet (a status other than in-sync, or a static parameter).
"""

from __future__ import annotations

from audit.facts.aws import AwsFacts, AwsParameter, AwsParameterGroupStatus
from audit.platform.staged import Staged, staged_settings
from tests.aws.builders import (
    CLUSTER_GROUP,
    INSTANCE_GROUP,
    RDS_GROUP,
    WRITER,
    aurora_aws,
    aurora_facts,
    parameter,
    rds_aws,
    rds_facts,
    with_cluster_parameters,
    with_instance_parameters,
    with_member,
)
from tests.factories import facts, server, setting, settings

PENDING = "DBClusterParameterGroupStatus=pending-reboot"


def _pending_writer(*parameters: AwsParameter) -> AwsFacts:
    aws = with_cluster_parameters(aurora_aws(), *parameters)
    return with_member(aws, WRITER, cluster_pg_status="pending-reboot")


def test_nothing_is_staged_when_the_writer_runs_what_is_configured() -> None:
    assert staged_settings(aurora_facts()) == {}


def test_a_pending_cluster_value_that_differs_from_the_running_one_is_staged() -> None:
    aws = _pending_writer(parameter("max_replication_slots", "20"))
    staged = staged_settings(aurora_facts(aws))
    assert staged == {
        "max_replication_slots": Staged(
            name="max_replication_slots",
            value="20",
            running="10",
            where=f"cluster parameter group {CLUSTER_GROUP}",
            applies_at="writer reboot",
            status=(PENDING,),
        )
    }
    assert staged["max_replication_slots"].label == (
        f"cluster parameter group {CLUSTER_GROUP}; pending writer reboot"
    )


def test_logical_replication_pending_stages_wal_level_as_derived() -> None:
    aws = with_member(aurora_aws(), WRITER, cluster_pg_status="pending-reboot")
    before_reboot = settings({"rds.logical_replication": "off"}, wal_level="replica")
    staged = staged_settings(aurora_facts(aws, settings=before_reboot))
    assert set(staged) == {"rds.logical_replication", "wal_level"}
    assert (staged["rds.logical_replication"].value, staged["rds.logical_replication"].running) == (
        "1", "off",
    )  # fmt: skip
    wal_level = staged["wal_level"]
    assert (wal_level.value, wal_level.running, wal_level.applies_at) == (
        "logical", "replica", "writer reboot",
    )  # fmt: skip
    assert wal_level.derived_from == (
        f"rds.logical_replication=1 (cluster parameter group {CLUSTER_GROUP})"
    )
    assert wal_level.label.startswith("derived from rds.logical_replication=1")


def test_a_setting_the_server_does_not_report_is_staged_while_the_status_is_pending() -> None:
    aws = with_member(aurora_aws(), WRITER, cluster_pg_status="pending-reboot")
    unreported = settings({"rds.logical_replication": None}, wal_level="replica")
    staged = staged_settings(aurora_facts(aws, settings=unreported))
    assert staged["rds.logical_replication"].running is None
    assert staged["wal_level"].derived_from is not None


def test_a_value_already_running_is_not_staged_even_with_a_pending_status() -> None:
    aws = _pending_writer(parameter("max_replication_slots", "10"))
    assert "max_replication_slots" not in staged_settings(aurora_facts(aws))


def test_an_applied_dynamic_value_that_differs_is_not_called_staged() -> None:
    aws = with_cluster_parameters(
        aurora_aws(),
        parameter("wal_sender_timeout", "120000", apply_type="dynamic", apply_method="immediate"),
    )
    assert staged_settings(aurora_facts(aws)) == {}


def test_a_static_value_that_differs_is_staged_even_when_the_status_says_in_sync() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter("max_wal_senders", "25"))
    staged = staged_settings(aurora_facts(aws))
    assert (staged["max_wal_senders"].value, staged["max_wal_senders"].status) == ("25", ())


def test_an_instance_override_wins_over_the_cluster_group() -> None:
    aws = with_cluster_parameters(aurora_aws(), parameter("max_replication_slots", "20"))
    aws = with_instance_parameters(aws, INSTANCE_GROUP, parameter("max_replication_slots", "30"))
    staged = staged_settings(aurora_facts(aws))
    assert staged["max_replication_slots"].value == "30"
    assert staged["max_replication_slots"].where == f"DB parameter group {INSTANCE_GROUP}"


def test_rds_instance_group_pending() -> None:
    pending = AwsParameterGroupStatus(name=RDS_GROUP, apply_status="pending-reboot")
    aws = with_member(rds_aws(), "billing", parameter_groups=[pending])
    before_reboot = settings({"rds.logical_replication": "off"}, wal_level="replica")
    staged = staged_settings(rds_facts(aws, settings=before_reboot))
    assert staged["rds.logical_replication"].status == (
        f"ParameterApplyStatus({RDS_GROUP})=pending-reboot",
    )
    assert staged["wal_level"].derived_from is not None


def test_a_file_staged_value_applies_at_restart_or_reload() -> None:
    the_facts = facts(
        server=server(),
        settings=settings(
            wal_level=setting(
                "wal_level",
                "replica",
                context="postmaster",
                pending_value="logical",
                pending_source="/data/postgresql.auto.conf:3",
            ),
            wal_sender_timeout=setting(
                "wal_sender_timeout",
                "60000",
                context="sighup",
                pending_value="120000",
                pending_source="/data/postgresql.conf:12",
            ),
        ),
    )
    staged = staged_settings(the_facts)
    assert (staged["wal_level"].applies_at, staged["wal_level"].where) == (
        "restart", "/data/postgresql.auto.conf:3",
    )  # fmt: skip
    assert staged["wal_sender_timeout"].applies_at == "reload"


def test_the_audit_of_a_reader_stages_nothing_it_cannot_compare() -> None:
    aws = _pending_writer(parameter("max_replication_slots", "20"))
    reader = aurora_facts(aws, server=server(in_recovery=True))
    staged = staged_settings(reader)
    assert staged["max_replication_slots"].running is None  # the pending status says so
