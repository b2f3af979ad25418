"""CDC016: a waiver in the configuration has expired."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import Fix, note


@rule(code="CDC016", name="expired-waiver", severity=Severity.MEDIUM, requires=())
def expired_waiver(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """A waiver in the configuration has expired, so the findings it covered count again.

    ## What it checks
    Every `[[waivers]]` entry of the configuration (`cdc-preflight.toml` or
    `[tool.cdc-preflight]`) that has an `expires` date before the day the facts were
    collected. An expired waiver no longer marks findings as waived: they count towards the
    verdict and the exit code again, and this finding says why they came back.

    ## Why it matters for CDC
    A waiver records a decision to accept a risk for a while (an append-only table without
    a key, a slot kept for a standby being rebuilt). When the date passes, the decision
    needs to be made again: the table may have started to take updates, the standby may
    never have come back. A waiver that silently lapsed, or one that silently stayed, would
    both hide that.

    ## How to fix
    Fix the findings the waiver covered, or renew the waiver with a new `expires` date and a
    reason that says why the risk is still acceptable. Remove waivers that are no longer
    needed.

    ## References
    - the README's "Configuration" section (waivers: `rule`, `subject`, `reason`, `expires`)
    - https://docs.astral.sh/ruff/linter/#error-suppression
    """
    for waiver in ctx.expired_waivers:
        yield Finding(
            subject=f"waiver:{waiver.rule}:{waiver.subject}",
            message=(
                f"the waiver of {waiver.rule} for {waiver.subject} expired on "
                f"{waiver.expires.isoformat()}: its findings count again"
            ),
            evidence={
                "rule": waiver.rule,
                "subject": waiver.subject,
                "reason": waiver.reason,
                "expires": waiver.expires.isoformat(),
                "facts_collected": facts.collected_at.date().isoformat(),
            },
            fix=Fix.of(
                note(
                    f"fix the {waiver.rule} findings for {waiver.subject}, or renew the waiver "
                    "in cdc-preflight.toml with a new expires date and reason",
                    rule=waiver.rule,
                    subject=waiver.subject,
                )
            ),
        )
