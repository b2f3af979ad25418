"""Which target a run belongs to: an identity that stays the same from one week to the next.

In order of preference:

- ``pg:<system identifier>/<database>``: the cluster's ``pg_control_system()`` identifier
  survives a change of host name, port, DNS alias or IP address (not a restore into a new
  cluster, which is a new target);
- ``aws:<region>/<cluster or instance>/<database>``: the AWS identifiers, when the system
  identifier could not be read (a role without pg_monitor on some versions) but the control
  plane was;
- ``addr:<host>:<port>/<database>``: what the audit connected to.

The name shown beside it is ``host:port/database`` (or the AWS identifier when there is no
host).
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.facts import Facts


@dataclass(frozen=True)
class TargetIdentity:
    id: str
    name: str


def target_identity(facts: Facts) -> TargetIdentity:
    server = facts.server
    target = facts.target
    database = (server.current_database if server else None) or target.dbname or "?"
    address = f"{target.host or 'local'}:{target.port or 5432}/{database}"
    platform = facts.platform
    aws_name = platform.cluster or platform.writer
    name = address if target.host or not aws_name else f"{aws_name}/{database}"
    if server is not None and server.system_identifier:
        return TargetIdentity(f"pg:{server.system_identifier}/{database}", name)
    if aws_name:
        return TargetIdentity(f"aws:{platform.region or '?'}/{aws_name}/{database}", name)
    return TargetIdentity(f"addr:{address}", name)
