"""The facts document: everything collection observed, nothing it judged.

A family that could not be read at all is ``None`` and has a :class:`CollectionIssue` naming
why; a single field that could not be read is ``None`` in its row. Rules that need a missing
family report "not evaluated", never a pass.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from audit.facts.aws import AwsFacts
from audit.facts.base import FactModel

SCHEMA_VERSION = 1


class ReplicaIdentity(StrEnum):
    """``pg_class.relreplident``."""

    DEFAULT = "default"
    NOTHING = "nothing"
    FULL = "full"
    INDEX = "index"


class TableKind(StrEnum):
    """``pg_class.relkind`` of the tables we inventory."""

    ORDINARY = "table"
    PARTITIONED = "partitioned"


class CollectionIssue(FactModel):
    """A fact family (or part of one) that could not be collected, and why."""

    family: str
    reason: str
    hint: str | None = None


class Target(FactModel):
    """Where the audit connected: never carries a password."""

    host: str | None = None
    port: int | None = None
    dbname: str | None = None
    user: str | None = None
    application_name: str = "cdc-preflight"


class Server(FactModel):
    """Identity and state of the audited server."""

    version: str
    version_num: int
    in_recovery: bool
    current_database: str
    current_user: str
    system_identifier: str | None = None
    started_at: datetime | None = None
    aurora_version: str | None = None
    is_rds: bool = False
    data_checksums: bool | None = None
    stats_reset: datetime | None = None

    @property
    def major(self) -> int:
        return self.version_num // 10000

    @property
    def is_aurora(self) -> bool:
        return self.aurora_version is not None

    @property
    def platform(self) -> str:
        if self.is_aurora:
            return "aurora-postgresql"
        return "rds-postgresql" if self.is_rds else "postgresql"


class Setting(FactModel):
    """One row of ``pg_settings`` plus the unapplied line of ``pg_file_settings``, if any."""

    name: str
    value: str
    unit: str | None = None
    source: str | None = None
    context: str | None = None
    vartype: str | None = None
    boot_value: str | None = None
    pending_restart: bool = False
    pending_value: str | None = Field(
        default=None,
        description="value staged in a configuration file (ALTER SYSTEM / postgresql.conf) "
        "that the running server has not applied",
    )
    pending_source: str | None = None


class Table(FactModel):
    """An ordinary or partitioned table and what CDC needs to know about it."""

    schema_name: str
    name: str
    qualified_name: str = Field(description="quoted with format('%I.%I'), safe to paste into SQL")
    kind: TableKind = TableKind.ORDINARY
    parent: str | None = Field(default=None, description="partition parent, quoted")
    unlogged: bool = False
    owner: str | None = None
    replica_identity: ReplicaIdentity
    primary_key: list[str] | None = Field(default=None, description="primary key columns")
    identity_index: str | None = Field(
        default=None, description="index named by REPLICA IDENTITY USING INDEX, quoted"
    )
    identity_index_valid: bool | None = None
    unique_candidates: list[str] = Field(
        default_factory=list,
        description="unique, non-partial, immediate indexes whose columns are all NOT NULL",
    )
    reltuples: float | None = None
    heap_bytes: int | None = None
    toast_bytes: int | None = None
    index_bytes: int | None = None
    avg_row_bytes: float | None = None
    row_width_source: str | None = None
    n_tup_ins: int | None = None
    n_tup_upd: int | None = None
    n_tup_del: int | None = None
    n_tup_hot_upd: int | None = None
    n_live_tup: int | None = None
    last_analyze: datetime | None = None
    can_select: bool | None = None

    @property
    def has_primary_key(self) -> bool:
        return bool(self.primary_key)

    @property
    def total_bytes(self) -> int | None:
        parts = (self.heap_bytes, self.toast_bytes, self.index_bytes)
        if all(p is None for p in parts):
            return None
        return sum(p or 0 for p in parts)


class Slot(FactModel):
    """A row of ``pg_replication_slots`` with derived retention figures."""

    slot_name: str
    slot_type: str
    plugin: str | None = None
    database: str | None = None
    temporary: bool = False
    active: bool = False
    active_pid: int | None = None
    restart_lsn: str | None = None
    confirmed_flush_lsn: str | None = None
    wal_status: str | None = None
    safe_wal_size: int | None = None
    two_phase: bool | None = None
    conflicting: bool | None = None
    failover: bool | None = None
    synced: bool | None = None
    inactive_since: datetime | None = None
    invalidation_reason: str | None = None
    retained_bytes: int | None = Field(
        default=None, description="pg_current_wal_lsn() - restart_lsn, bytes of WAL the slot holds"
    )
    xmin_age: int | None = None
    catalog_xmin_age: int | None = None


class WalSample(FactModel):
    """One sampler observation."""

    at: datetime
    lsn: str | None = None
    wal_bytes: int | None = Field(default=None, description="pg_stat_wal.wal_bytes")
    wal_records: int | None = None
    wal_fpi: int | None = None
    xact_commit: int | None = None
    xact_rollback: int | None = None


class Sampling(FactModel):
    """The sampling window and what it saw; rates are derived by the estimators."""

    started_at: datetime
    ended_at: datetime
    interval_seconds: float
    requested_seconds: float
    interrupted: bool = False
    methods: list[str] = Field(default_factory=list)
    samples: list[WalSample] = Field(default_factory=list)
    table_deltas: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="qualified table name -> n_tup_ins/upd/del/hot_upd change over the window",
    )


class Role(FactModel):
    """The auditing role and what it may do."""

    name: str
    superuser: bool = False
    replication: bool = False
    member_of: list[str] = Field(default_factory=list)
    can_create_on_database: bool | None = None


class Facts(FactModel):
    """The facts document: the contract between ``collect`` and ``analyze``."""

    schema_version: int = SCHEMA_VERSION
    tool_version: str
    collected_at: datetime
    target: Target
    server: Server | None = None
    settings: dict[str, Setting] | None = None
    tables: list[Table] | None = None
    slots: list[Slot] | None = None
    role: Role | None = None
    sampling: Sampling | None = None
    current_wal_lsn: str | None = None
    aws: AwsFacts | None = None
    labels: dict[str, str] = Field(
        default_factory=dict, description="free-form labels, e.g. scenario=demo, simulated=aws"
    )
    issues: list[CollectionIssue] = Field(default_factory=list)
    extra: dict[str, Any] = Field(
        default_factory=dict, description="collector-specific details kept for the record"
    )

    def setting(self, name: str) -> Setting | None:
        return (self.settings or {}).get(name)

    def issue_for(self, family: str) -> CollectionIssue | None:
        return next((i for i in self.issues if i.family == family), None)
