"""CDC010: the audited server is a standby that cannot, or cannot safely, decode."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, Step, note, sql
from audit.remedy.settings import set_setting
from rules._units import is_on, require_setting

FIRST_MAJOR = 16


@rule(
    code="CDC010",
    name="decoding-on-standby",
    severity=Severity.CRITICAL,
    requires=("server", "settings"),
)
def decoding_on_standby(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The audited server is a standby that cannot decode, or whose slots would be invalidated.

    ## What it checks
    Only when the audited server is in recovery (a standby or a read replica):

    - Aurora readers never decode: logical replication runs on the writer only (critical);
    - before PostgreSQL 16 a standby cannot create logical slots (critical);
    - on 16 and later, `hot_standby_feedback` must be on, and the standby should stream
      through a physical slot (`primary_slot_name`, when collected) (high).

    A primary passes.

    ## Why it matters for CDC
    Creating a logical slot on a standby before 16 fails with "logical decoding cannot be
    used while in recovery", and on an Aurora reader always. On 16+, without feedback the
    primary's VACUUM removes catalog rows the standby's slots still need; the slots are then
    invalidated (`conflicting`, reason `rows_removed`) and the connector needs a new snapshot.
    A slot on a standby also disappears with that standby, and a promotion does not carry it
    over before PostgreSQL 17's slot synchronization.

    ## How to fix
    Point the connector at the primary (the Aurora cluster endpoint, not the reader
    endpoint), or on PostgreSQL 16+ turn `hot_standby_feedback` on and give the standby a
    physical slot on the primary (`primary_slot_name`).

    ## References
    - https://www.postgresql.org/docs/current/logicaldecoding-explanation.html#LOGICALDECODING-REPLICATION-SLOTS
    - https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-HOT-STANDBY-FEEDBACK
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Replication.Logical.html
    """
    assert facts.server is not None
    server = facts.server
    if not server.in_recovery:
        return
    evidence: dict[str, object] = {
        "in_recovery": True,
        "version_num": server.version_num,
        "platform": facts.platform.engine,
    }
    if facts.platform.is_aurora:
        yield Finding(
            subject="server:standby",
            message="this is an Aurora reader: Aurora decodes on the writer only",
            evidence=evidence,
            fix=Fix.of(
                note(
                    "connect the connector to the cluster (writer) endpoint, not a reader",
                    ChangeWindow.COORDINATION,
                )
            ),
        )
        return
    if server.major < FIRST_MAJOR:
        yield Finding(
            subject="server:standby",
            message=(
                f"this is a standby on PostgreSQL {server.major}: logical decoding on a "
                "standby needs PostgreSQL 16"
            ),
            evidence=evidence,
            fix=Fix.of(note("connect the connector to the primary", ChangeWindow.COORDINATION)),
        )
        return
    feedback = require_setting(facts, "hot_standby_feedback")
    slot_setting = facts.setting("primary_slot_name")
    missing = []
    if not is_on(feedback):
        missing.append("hot_standby_feedback is off")
    if slot_setting is not None and not slot_setting.value:
        missing.append("no primary_slot_name")
    evidence["hot_standby_feedback"] = feedback.value
    evidence["primary_slot_name"] = slot_setting.value if slot_setting else None
    if not missing:
        return
    steps: list[Step] = []
    if not is_on(feedback):
        steps += set_setting(facts, "hot_standby_feedback", "on", restart=False).steps
    if slot_setting is not None and not slot_setting.value:
        steps += [
            note("on the primary:"),
            sql("SELECT pg_create_physical_replication_slot('standby_slot');", on="primary"),
            note("then on this standby:"),
            *set_setting(facts, "primary_slot_name", "standby_slot", restart=False).steps,
        ]
    yield Finding(
        subject="server:standby",
        message=(
            f"this is a standby and {' and '.join(missing)}: its logical slots are invalidated "
            "when the primary removes catalog rows they need"
        ),
        evidence=evidence,
        fix=Fix(steps=tuple(steps)),
        severity=Severity.HIGH,
    )
