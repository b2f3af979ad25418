"""The facts document (see :mod:`audit.facts.models`)."""

from audit.facts.base import FactModel
from audit.facts.io import FactsFileError, dump_facts, parse_facts, read_facts, write_facts
from audit.facts.models import (
    SCHEMA_VERSION,
    CollectionIssue,
    Facts,
    ReplicaIdentity,
    Role,
    Sampling,
    Server,
    Setting,
    Slot,
    Table,
    TableKind,
    Target,
    WalSample,
)

__all__ = [
    "SCHEMA_VERSION",
    "CollectionIssue",
    "FactModel",
    "Facts",
    "FactsFileError",
    "ReplicaIdentity",
    "Role",
    "Sampling",
    "Server",
    "Setting",
    "Slot",
    "Table",
    "TableKind",
    "Target",
    "WalSample",
    "dump_facts",
    "parse_facts",
    "read_facts",
    "write_facts",
]
