"""CDC403: rds.logical_replication is configured but not applied on the writer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts
from audit.platform.reconcile import configured, running_on_writer, unapplied
from audit.remedy import Fix, note
from audit.remedy.aws_cli import Target, reboot
from rules._aws_facts import aws_facts_for

PARAMETER = "rds.logical_replication"


@rule(
    code="CDC403",
    name="logical-replication-pending-reboot",
    severity=Severity.CRITICAL,
    requires=(),
)
def logical_replication_pending_reboot(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """rds.logical_replication is configured but the writer has not been rebooted to apply it.

    ## What it checks
    When the effective parameter group sets `rds.logical_replication = 1`, the rule
    reconciles it with what the writer runs and with what the control plane says. The running
    values decide when they are known: `SHOW rds.logical_replication` is `off`/`0`, or `SHOW
    wal_level` is not `logical`, fails even if every status field claims `in-sync`; both on
    passes even if a status is pending (then another parameter waits for the reboot). When the
    running values are unknown (no SQL settings, or the audit connected to a reader), any
    writer status other than `in-sync` fails: `DBClusterParameterGroupStatus` or a
    `ParameterApplyStatus` of its DB parameter groups (`pending-reboot`, `applying`,
    `failed-to-apply`, ...); with every status `in-sync` the rule is not evaluated. On a
    self-managed server with no AWS target the rule passes: there is no control plane to check.
    The message also says how this audit measured WAL: from WAL positions when the sampler
    could read `pg_current_wal_lsn()`, from the other methods when it could not.

    ## Why it matters for CDC
    `rds.logical_replication` is static. Until the writer reboots, `wal_level` stays
    `replica` and slot creation fails. An Aurora writer in that state does not report WAL
    positions either (`pg_current_wal_lsn()` and `pg_stat_wal` fail), so an audit there
    measures WAL from row changes and CloudWatch instead. AWS does not reboot for you: a
    `pending-reboot` status is not applied in the next maintenance window.

    ## How to fix
    Reboot the writer in a window the change board approves:
    `aws rds reboot-db-instance --db-instance-identifier <writer>`. It causes a brief outage
    of the writer. On Aurora PostgreSQL 15.2+, 14.7+, 13.10+ and 12.14+ the readers are not
    rebooted with it (reboot them separately to apply cluster parameter changes); on older
    versions they are. A `failed-to-apply` status needs the parameter value fixed first.
    After the reboot, `SHOW wal_level` must say `logical`.

    ## References
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Replication.Logical.Configure.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_RebootInstance.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-mysql-survivable-replicas.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBClusterMember.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBParameterGroupStatus.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RebootInstance.html
    """
    aws = aws_facts_for(facts)
    if aws is None:
        return
    writer = aws.writer
    if writer is None:
        raise NotEvaluated("the AWS facts name no writer instance")
    where = configured(facts, aws, PARAMETER, writer)
    if not where.is_on:
        return  # CDC402 reports it
    pending = unapplied(writer)
    running = running_on_writer(facts)
    decoding = running.logical_decoding
    if decoding is True:
        return
    if decoding is None and not pending:
        unknown = running.unknown_reason or "unknown: rds.logical_replication and wal_level missing"
        raise NotEvaluated(
            f"the writer's status fields say in-sync; its running values are {unknown}"
        )
    reasons = [f"{field}={status}" for field, status in pending.items()]
    if decoding is False:
        reasons.append(
            f"the writer runs rds.logical_replication={_shown(running.logical_replication)}, "
            f"wal_level={_shown(running.wal_level)}"
        )
    measured = wal_measurement(facts)
    failed = [field for field, status in pending.items() if status == "failed-to-apply"]
    target = Target.of(aws, aurora=aws.is_cluster)
    steps = []
    if failed:
        steps.append(
            note(
                f"{', '.join(failed)} is failed-to-apply: correct the parameter values in that "
                "group (see its RDS events), then reboot",
                target.reboot_window,
                failed=failed,
            )
        )
    steps.append(reboot(target, writer.instance_id, why=f"applies the staged {PARAMETER}"))
    yield Finding(
        subject=f"instance:{writer.instance_id}",
        message=(
            f"{PARAMETER}=1 is configured in {where.group} but not applied on the writer "
            f"{writer.instance_id}: {'; '.join(reasons)}"
            + (f". {measured.sentence}" if measured else "")
        ),
        evidence={
            **where.evidence(),
            **running.evidence(),
            "writer": writer.instance_id,
            "status": pending or "in-sync",
            "engine_version": facts.platform.version,
            **(measured.evidence() if measured else {}),
        },
        fix=Fix(steps=tuple(steps)),
    )


def _shown(value: str | None) -> str:
    return "not reported" if value is None else value


@dataclass(frozen=True)
class WalMeasurement:
    """How the sampler measured WAL in this audit, in the terms of this rule."""

    methods: list[str]
    positions_read: bool
    sentence: str

    def evidence(self) -> dict[str, Any]:
        return {"sampling_methods": self.methods, "wal_positions_read": self.positions_read}


def wal_measurement(facts: Facts) -> WalMeasurement | None:
    """What is true of this audit's WAL figures; None when nothing was sampled."""
    if facts.sampling is None:
        return None
    methods = list(facts.sampling.methods)
    if "lsn" in methods:
        sentence = "The WAL rates in this report were measured with pg_current_wal_lsn()"
        server = facts.server
        if server is not None and server.aurora_version is None:
            sentence += (
                ", which this server reports; an Aurora writer with rds.logical_replication "
                "off does not, and its audit falls back to row changes and CloudWatch"
            )
        return WalMeasurement(methods, True, sentence)
    others = ", ".join(methods) or "no sampling method"
    sentence = (
        "pg_current_wal_lsn() could not be read, as on Aurora until the reboot: the WAL "
        f"figures come from {others}"
    )
    return WalMeasurement(methods, False, sentence)
