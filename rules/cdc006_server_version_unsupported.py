"""CDC006: the server's major version cannot do pgoutput decoding, or no longer gets fixes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note

FIRST_PGOUTPUT_MAJOR = 10
FIRST_YEAR_NUMBERED_MAJOR = 2007  # PostgreSQL 10 was released in 2017, one major a year since


def end_of_life(major: int) -> datetime:
    """The end of the month in which community support of ``major`` (10+) ends: five years."""
    return datetime(FIRST_YEAR_NUMBERED_MAJOR + major + 5, 12, 1, tzinfo=UTC)


@rule(
    code="CDC006",
    name="server-version-unsupported",
    severity=Severity.CRITICAL,
    requires=("server",),
)
def server_version_unsupported(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The server's major version cannot decode with pgoutput, or no longer receives fixes.

    ## What it checks
    - Below PostgreSQL 10 there is no `pgoutput` plugin and no publications: Debezium's
      `pgoutput` mode, AWS DMS with `PluginName=pgoutput` and native subscriptions cannot run
      (critical).
    - A major version whose five years of community support ended before the audit
      (`collected_at`) gets no more minor releases (low). The rule counts support to the end of
      November of the fifth year after the release, per the PostgreSQL versioning policy;
      RDS and Aurora publish their own end-of-support calendars, which may run longer.

    ## Why it matters for CDC
    Logical decoding and slot handling receive fixes in minor releases (decoding of large
    transactions, slot invalidation, memory use); an end-of-life major keeps its known bugs.
    Feature gates elsewhere in this catalogue also depend on the major: slot WAL limits
    (13, CDC005), decoding on a standby (16, CDC010), failover slots (17, CDC011).

    ## How to fix
    Plan a major upgrade. Logical slots do not survive `pg_upgrade` before PostgreSQL 17 (and
    Aurora and RDS require dropping them before a major upgrade), so upgrading before the CDC
    rollout avoids a second initial snapshot.

    ## References
    - https://www.postgresql.org/support/versioning/
    - https://www.postgresql.org/docs/current/protocol-logical-replication.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_UpgradeDBInstance.PostgreSQL.html
    """
    assert facts.server is not None
    server = facts.server
    evidence = {"version": server.version, "version_num": server.version_num}
    if server.major < FIRST_PGOUTPUT_MAJOR:
        yield Finding(
            subject="server:version",
            message=(
                f"PostgreSQL {server.version} has no pgoutput plugin and no publications: "
                "pgoutput-based CDC needs PostgreSQL 10 or later"
            ),
            evidence=evidence,
            fix=Fix.of(
                note(
                    "upgrade to a supported major version (PostgreSQL 13 or later) before CDC",
                    ChangeWindow.COORDINATION,
                    major=server.major,
                )
            ),
        )
        return
    eol = end_of_life(server.major)
    if facts.collected_at >= eol:
        yield Finding(
            subject="server:version",
            message=(
                f"PostgreSQL {server.major} reached community end of life in November {eol.year}: "
                "no more fixes, logical decoding ones included"
            ),
            evidence={**evidence, "end_of_life_before": eol.date().isoformat()},
            fix=Fix.of(
                note(
                    "plan a major upgrade; drop logical slots first where the platform requires it",
                    ChangeWindow.COORDINATION,
                    major=server.major,
                )
            ),
            severity=Severity.LOW,
        )
