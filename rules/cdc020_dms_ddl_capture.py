"""CDC020: AWS DMS's DDL event trigger is disabled, not ENABLE ALWAYS, or cannot be created."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note, sql

TRIGGER = "awsdms_intercept_ddl"
# roles that may create an event trigger: superuser, or rds_superuser on RDS and Aurora
CREATORS = frozenset({"rds_superuser"})


@rule(
    code="CDC020",
    name="dms-ddl-capture",
    severity=Severity.MEDIUM,
    requires=("event_triggers", "role"),
    profiles=("dms",),
)
def dms_ddl_capture(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """AWS DMS's DDL event trigger is not set the way DMS needs.

    ## What it checks
    The event trigger `awsdms_intercept_ddl` that DMS uses to capture DDL (endpoint setting
    `CaptureDdls`, on by default):

    - present but disabled: DDL is not captured at all (high);
    - present but not `ENABLE ALWAYS`: the DMS premigration assessment "Validate if DDL event
      trigger is set to ENABLE ALWAYS" (`postgres-check-ddl-event-trigger`) fails, because a
      trigger enabled for `origin` does not fire for DDL applied by a replication process
      (`session_replication_role = replica`, as when this database is itself the target of
      another replication);
    - absent while the audited role is neither superuser nor a member of `rds_superuser`: DMS
      creates its artifacts when the task starts, as the endpoint's user, and that needs one of
      the two. The finding assumes the audited role is the one the DMS endpoint uses.

    ## Why it matters for CDC
    test_decoding and pglogical do not decode DDL: DMS learns of `CREATE`, `ALTER` and `DROP
    TABLE` only through this trigger, which writes them to its `awsdms_ddl_audit` table. A
    trigger that does not fire means a column added on the source never reaches the target,
    and the next change to it fails on apply.

    ## How to fix
    `ALTER EVENT TRIGGER awsdms_intercept_ddl ENABLE ALWAYS;` as its owner or a superuser. If
    DMS cannot create the artifacts itself, create the `awsdms_ddl_audit` table, the
    `awsdms_intercept_ddl()` function and the event trigger as the master user, as the DMS
    documentation describes, or set `CaptureDdls=false` on the source endpoint and apply DDL to
    the target yourself.

    ## References
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html#CHAP_Source.PostgreSQL.RDSPostgreSQL.NonMasterUser
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html#CHAP_Source.PostgreSQL.Limitations
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    - https://docs.aws.amazon.com/dms/latest/APIReference/API_PostgreSQLSettings.html
    - https://www.postgresql.org/docs/current/sql-altereventtrigger.html
    """
    assert facts.event_triggers is not None and facts.role is not None
    trigger = next((t for t in facts.event_triggers if t.name == TRIGGER), None)
    if trigger is None:
        role = facts.role
        if role.superuser or CREATORS & set(role.member_of):
            return
        yield Finding(
            subject=f"event_trigger:{TRIGGER}",
            message=(
                f"{TRIGGER} does not exist and {role.name} may not create event triggers "
                "(neither superuser nor rds_superuser): DMS cannot set up DDL capture"
            ),
            evidence={"role": role.name, "superuser": role.superuser, "member_of": role.member_of},
            fix=Fix.of(
                note(
                    "as the master user, create awsdms_ddl_audit, awsdms_intercept_ddl() and "
                    "the event trigger (DMS source guide, non-master user), then:",
                    ChangeWindow.COORDINATION,
                ),
                sql(f"ALTER EVENT TRIGGER {TRIGGER} ENABLE ALWAYS;", ChangeWindow.COORDINATION),
                note("or set CaptureDdls=false on the source endpoint and apply DDL yourself"),
            ),
        )
        return
    if trigger.enabled == "always":
        return
    disabled = trigger.enabled == "disabled"
    yield Finding(
        subject=f"event_trigger:{TRIGGER}",
        message=(
            f"{TRIGGER} is {trigger.enabled}"
            + (
                ": DMS captures no DDL"
                if disabled
                else ", not ENABLE ALWAYS: DDL applied by a replication session is not captured"
            )
        ),
        evidence={"enabled": trigger.enabled, "event": trigger.event, "owner": trigger.owner},
        fix=Fix.of(sql(f"ALTER EVENT TRIGGER {TRIGGER} ENABLE ALWAYS;")),
        severity=Severity.HIGH if disabled else None,
    )
