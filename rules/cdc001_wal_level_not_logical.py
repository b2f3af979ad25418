"""CDC001: wal_level is not logical."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts, Setting
from audit.platform.reconcile import flag
from audit.platform.staged import Staged
from audit.remedy import Fix, note, sql
from audit.remedy.settings import (
    apply_staged,
    deciding_group,
    staged_value,
)
from rules._recommended import set_to_recommended
from rules._units import require_setting

# PostgreSQL 19 (development): effective_wal_level goes to logical with the first logical slot
FIRST_SLOT_ENABLES_DECODING = 19


@rule(
    code="CDC001",
    name="wal-level-not-logical",
    severity=Severity.CRITICAL,
    requires=("settings",),
)
def wal_level_not_logical(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The server does not write logical decoding information to WAL.

    ## What it checks
    The running value of `wal_level` must be `logical`. The rule also reads the value staged
    in a configuration file (`ALTER SYSTEM` or `postgresql.conf`) that the server has not
    applied yet: a staged `logical` turns the fix into "restart", and a staged downgrade from
    `logical` is reported too, because the next restart would break CDC.

    On Amazon RDS and Aurora `wal_level` cannot be set directly: the static parameter
    `rds.logical_replication = 1` sets it to `logical` after a reboot (of the writer, on
    Aurora). When the audit also read the AWS control plane, this rule leaves RDS and Aurora
    to CDC402 (not configured in the parameter group) and CDC403 (configured, not applied),
    which name the parameter group, its apply status and the instance to reboot; without the
    control plane, this rule reports it with a generic parameter-group fix.

    PostgreSQL 19 (in development) lets a `wal_level = replica` server decode: creating the
    first logical slot raises the read-only `effective_wal_level` to `logical`, without a
    restart, and it drops back after the last logical slot is gone. There, `replica` is not a
    blocker: the rule reports it as information (with `effective_wal_level` when collected),
    and only `minimal` stays critical. This follows the PostgreSQL 19 development documentation
    and is tested on fact fixtures, as no 19 server is part of the test matrix yet.

    ## Why it matters for CDC
    With `replica` or `minimal`, WAL lacks what logical decoding needs: creating a logical
    slot fails with "logical decoding requires wal_level >= logical", so Debezium, AWS DMS
    and native subscriptions cannot start. `wal_level` is a postmaster setting: changing it
    always costs a restart, which is why it belongs in the change plan first. Switching to
    `logical` also increases WAL volume (see the WAL estimate in the report).

    ## How to fix
    Self-managed: `ALTER SYSTEM SET wal_level = logical;` (or edit `postgresql.conf`) and
    restart the server. RDS: set `rds.logical_replication = 1` in a custom DB parameter group
    and reboot the instance. Aurora: set it in the custom DB cluster parameter group and reboot
    the writer. Default parameter groups cannot be modified; attach a custom one first.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-WAL-LEVEL
    - https://www.postgresql.org/docs/current/logicaldecoding-explanation.html
    - https://www.postgresql.org/docs/devel/runtime-config-preset.html#GUC-EFFECTIVE-WAL-LEVEL
    - https://www.postgresql.org/docs/devel/logical-replication-config.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.FeatureSupport.LogicalReplication.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Replication.Logical.Configure.html
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#setting-up-postgresql
    """
    if facts.aws is not None:
        return  # CDC402 and CDC403 report it, with the parameter group's name and state
    wal_level = require_setting(facts, "wal_level")
    staged = staged_value(facts, "wal_level", "rds.logical_replication")
    pending = _staged_level(staged)
    evidence = {
        "wal_level": wal_level.value,
        "pending_value": pending,
        "pending_restart": wal_level.pending_restart,
        "platform": facts.platform.engine,
    }
    rds_flag = facts.setting("rds.logical_replication")
    if rds_flag is not None:
        evidence["rds.logical_replication"] = rds_flag.value
    if wal_level.value == "logical":
        if pending is not None and pending != "logical":
            yield Finding(
                subject="setting:wal_level",
                message=(
                    f"wal_level is logical but {pending} is staged in "
                    f"{staged.where if staged else 'a configuration file'}: "
                    "the next restart turns logical decoding off"
                ),
                evidence=evidence,
                fix=_keep_logical_fix(facts, wal_level),
                severity=Severity.HIGH,
            )
        return
    if _decodes_on_first_slot(facts, wal_level.value):
        effective = facts.setting("effective_wal_level")
        evidence["effective_wal_level"] = effective.value if effective else None
        yield Finding(
            subject="setting:wal_level",
            message=(
                f"wal_level is replica: PostgreSQL {facts.platform.major} raises "
                "effective_wal_level to logical when the first logical slot is created, without "
                "a restart (WAL grows from then on)"
            ),
            evidence=evidence,
            severity=Severity.INFO,
        )
        return
    if pending == "logical" and staged is not None:
        yield Finding(
            subject="setting:wal_level",
            message=(
                f"wal_level is {wal_level.value}; logical is staged in {staged.where} and "
                "waits for a restart: that restart resolves this finding"
            ),
            evidence=evidence,
            fix=apply_staged(facts, staged),
        )
        return
    yield Finding(
        subject="setting:wal_level",
        message=f"wal_level is {wal_level.value}; logical decoding needs logical",
        evidence=evidence,
        fix=_enable_fix(facts, ctx),
    )


def _decodes_on_first_slot(facts: Facts, wal_level: str) -> bool:
    """PostgreSQL 19+: with wal_level = replica the first logical slot turns decoding on."""
    major = facts.platform.major
    return wal_level == "replica" and major is not None and major >= FIRST_SLOT_ENABLES_DECODING


def _staged_level(staged: Staged | None) -> str | None:
    """The staged wal_level; on RDS and Aurora what the staged rds.logical_replication means."""
    if staged is None or staged.name == "wal_level":
        return staged.value if staged else None
    return "logical" if flag(staged.value) is True else "replica"


def _enable_fix(facts: Facts, ctx: RuleContext) -> Fix:
    return set_to_recommended(facts, ctx, "wal_level")


def _keep_logical_fix(facts: Facts, wal_level: Setting) -> Fix:
    if facts.platform.is_managed:
        group = deciding_group(facts, "rds.logical_replication").name or "the parameter group"
        return Fix.of(
            note(
                f"set rds.logical_replication = 1 in {group} again before the next reboot "
                "(CDC402 gives the command)",
                parameter_group=group,
            )
        )
    where = wal_level.pending_source or "the configuration file"
    return Fix.of(
        sql(
            "ALTER SYSTEM SET wal_level = logical;",
            setting="wal_level",
            value="logical",
            staged_value=wal_level.pending_value,
            where=where,
        ),
        note(f"or remove the wal_level line in {where}; no restart is needed: it runs logical"),
    )
