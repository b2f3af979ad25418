"""What an interrupted collection (Ctrl-C or SIGTERM during the sampling window) lost.

Every output shows it: the JSON field ``interrupted``, a banner on the HTML/PDF cover and a
line in the Markdown summary, so that a partial report is never read as a complete one.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from audit.facts import Facts
from audit.report.base import ReportModel, rounded


class Interruption(ReportModel):
    """The sampling window ended early; the rates rest on what was sampled before."""

    stage: str = Field(description="the stage that was cut short")
    at: datetime = Field(description="when the window ended")
    sampled_seconds: float
    requested_seconds: float
    samples: int
    lost: str = Field(description="what the report lacks, in one sentence")


def interruption_of(facts: Facts) -> Interruption | None:
    sampling = facts.sampling
    if sampling is None or not sampling.interrupted:
        return None
    sampled = max((sampling.ended_at - sampling.started_at).total_seconds(), 0.0)
    missing = max(sampling.requested_seconds - sampled, 0.0)
    count = len(sampling.samples)
    lost = f"the last {missing:.0f} s of the {sampling.requested_seconds:.0f} s sampling window" + (
        f"; the rates rest on {sampled:.0f} s ({count} samples)"
        if count >= 2
        else "; no rate could be measured (fewer than two samples)"
    )
    return Interruption(
        stage="sampling",
        at=sampling.ended_at,
        sampled_seconds=rounded(sampled),
        requested_seconds=sampling.requested_seconds,
        samples=count,
        lost=lost,
    )
