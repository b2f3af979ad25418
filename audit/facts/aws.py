"""Facts read from the AWS control plane (RDS and CloudWatch)."""

from __future__ import annotations

from audit.facts.base import FactModel


class AwsFacts(FactModel):
    """What the RDS and CloudWatch APIs said about the audited cluster or instance."""

    region: str | None = None
    simulated: bool = False
