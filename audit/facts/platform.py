"""Which platform the audited database runs on, decided once from the server and AWS facts.

The server's SQL says what it can (``aurora_version()`` exists on Aurora, the ``rdsadmin``
database on RDS and Aurora); the AWS control plane, when it was read, names the engine
outright (``Engine`` of the cluster or instance) and the cluster, writer and region. The control
plane wins where both speak: it is what a parameter-group change or a reboot will act on.
Every output (cover, Markdown, JSON, rules, remediation) reads :attr:`Facts.platform
<audit.facts.models.Facts.platform>`, never the pieces.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from audit.facts.aws import AwsFacts

_AWS_ENGINES = {"aurora-postgresql": "aurora-postgresql", "postgres": "rds-postgresql"}
_MAJOR_MINOR = re.compile(r"^(\d+)(?:\.(\d+))?")


class ServerIdentity(Protocol):
    """What the server's SQL says of itself (:class:`audit.facts.models.Server`)."""

    @property
    def version(self) -> str: ...
    @property
    def version_num(self) -> int: ...
    @property
    def aurora_version(self) -> str | None: ...
    @property
    def is_rds(self) -> bool: ...


class Engine(StrEnum):
    """The platform as the report names it."""

    POSTGRESQL = "postgresql"
    RDS = "rds-postgresql"
    AURORA = "aurora-postgresql"


class Platform(BaseModel):
    """Engine, version and (on AWS) where the database lives: one object, read by every output."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    engine: Engine
    version: str | None = Field(
        description="the version the server runs (SHOW server_version); the AWS engine "
        "version when the server could not be read"
    )
    aws_engine_version: str | None = Field(
        default=None, description="EngineVersion of the cluster or instance (AWS facts)"
    )
    cluster: str | None = Field(default=None, description="Aurora DB cluster identifier")
    writer: str | None = Field(
        default=None, description="DB instance identifier of the writer (or the RDS instance)"
    )
    region: str | None = None
    simulated: bool = Field(default=False, description="the AWS facts came from a simulator")
    decided_by: str = Field(description="which facts named the engine")

    @property
    def is_aurora(self) -> bool:
        return self.engine is Engine.AURORA

    @property
    def is_rds(self) -> bool:
        """Amazon RDS for PostgreSQL (not Aurora)."""
        return self.engine is Engine.RDS

    @property
    def is_managed(self) -> bool:
        """RDS or Aurora: settings change through parameter groups, never ALTER SYSTEM."""
        return self.engine is not Engine.POSTGRESQL

    @property
    def major(self) -> int | None:
        return major_minor(self.version)[0] if self.version else None

    @property
    def version_mismatch(self) -> str | None:
        """Why the server's and the control plane's versions disagree, or None when they do not.

        Compared as major.minor: a disagreement means the audited server is not the cluster
        the AWS facts describe (or an upgrade is under way).
        """
        if self.version is None or self.aws_engine_version is None:
            return None
        if major_minor(self.version) == major_minor(self.aws_engine_version):
            return None
        return (
            f"the server runs {self.version} but the AWS control plane says "
            f"{self.aws_engine_version}"
        )


def major_minor(version: str) -> tuple[int | None, int | None]:
    """'18.6' -> (18, 6); '15.14 (Debian 15.14-1)' -> (15, 14); '17' -> (17, None)."""
    match = _MAJOR_MINOR.match(version.strip())
    if match is None:
        return None, None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def decide_platform(server: ServerIdentity | None, aws: AwsFacts | None) -> Platform:
    """The one platform of a facts document (see the module docstring)."""
    version = _version(server)
    if aws is not None:
        engine_name = aws.cluster.engine if aws.cluster is not None else None
        if engine_name is None and aws.writer is not None:
            engine_name = aws.writer.engine
        engine = Engine(
            _AWS_ENGINES.get(
                engine_name or "", "aurora-postgresql" if aws.is_cluster else "rds-postgresql"
            )
        )
        writer = aws.writer
        return Platform(
            engine=engine,
            version=version or aws.engine_version,
            aws_engine_version=aws.engine_version,
            cluster=aws.cluster.identifier if aws.cluster is not None else None,
            writer=writer.instance_id if writer is not None else None,
            region=aws.region,
            simulated=aws.simulated,
            decided_by=f"AWS control plane{' (simulated)' if aws.simulated else ''}: "
            f"Engine={engine_name or 'not reported'}",
        )
    if server is None:
        return Platform(
            engine=Engine.POSTGRESQL, version=None, decided_by="unknown: no server facts"
        )
    if server.aurora_version is not None:
        return Platform(
            engine=Engine.AURORA, version=version, decided_by="server: aurora_version() exists"
        )
    if server.is_rds:
        return Platform(
            engine=Engine.RDS, version=version, decided_by="server: the rdsadmin database exists"
        )
    return Platform(
        engine=Engine.POSTGRESQL,
        version=version,
        decided_by="server: no aurora_version(), no rdsadmin database",
    )


def _version(server: ServerIdentity | None) -> str | None:
    """major.minor from ``server_version_num`` (``version`` may carry a distribution suffix)."""
    if server is None:
        return None
    num = server.version_num
    return f"{num // 10000}.{num % 10000}" if num >= 100000 else server.version
