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
from audit.facts.capacity import DecodingProbe, ReadProbe, WalInspect
from audit.facts.connection import ConnectionPath, HbaRule, ReplicationConnection
from audit.facts.lsn import Lsn
from audit.facts.platform import Platform, decide_platform

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
    def looks_managed(self) -> bool:
        """The SQL side says RDS or Aurora (``rdsadmin`` or ``aurora_version()``); which
        platform the report names is :attr:`Facts.platform`, decided with the AWS facts."""
        return self.is_rds or self.aurora_version is not None


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
    pending_error: str | None = Field(
        default=None,
        description="why the staged value could not be applied, when it is not only waiting "
        "for a restart (e.g. an invalid value)",
    )


class RoleSetting(FactModel):
    """A default set with ``ALTER ROLE ... SET`` or ``ALTER DATABASE ... SET``
    (``pg_db_role_setting``): it applies to the sessions of that role, database, or both."""

    database: str | None = Field(default=None, description="None: every database")
    role: str | None = Field(default=None, description="None: every role")
    name: str
    value: str = Field(description="as written in the ALTER statement (units included)")


class ToastableColumn(FactModel):
    """A column with a variable-length type whose storage allows TOAST."""

    name: str
    type: str = Field(description="format_type() of the column")
    avg_width: int | None = Field(default=None, description="pg_stats.avg_width, if analyzed")


class SpecialColumn(FactModel):
    """A column whose type CDC tools map, skip or truncate in their own ways."""

    name: str
    type: str = Field(description="format_type() of the column")
    kinds: list[str] = Field(
        description="array, enum, domain, composite, range, money, xml, hstore, postgis, "
        "numeric_unconstrained, extension_type, geometric (point, line, lseg, box, path, "
        "polygon, circle), network (inet, cidr, macaddr, macaddr8), text_search (tsvector, "
        "tsquery)"
    )


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
    size_source: str | None = Field(
        default=None,
        description='"pg_relation_size", or "relpages" (planner pages x block size) when the '
        "size functions could not run",
    )
    fillfactor: int | None = Field(
        default=None,
        description="the table's fillfactor storage parameter; None: not set (100)",
    )
    index_correlation: float | None = Field(
        default=None,
        description="the smallest |pg_stats.correlation| of the leading columns of the "
        "table's B-tree indexes (1: consecutive keys sit on consecutive pages in every index; "
        "a column not analyzed counts 0); None: no B-tree index, or none analyzed",
    )
    avg_row_bytes: float | None = None
    row_width_source: str | None = None
    n_tup_ins: int | None = None
    n_tup_upd: int | None = None
    n_tup_del: int | None = None
    n_tup_hot_upd: int | None = None
    n_tup_newpage_upd: int | None = Field(
        default=None, description="non-HOT updates that moved the row to another page (16+)"
    )
    n_live_tup: int | None = None
    last_analyze: datetime | None = None
    can_select: bool | None = None
    row_security: bool | None = Field(
        default=None,
        description="row-level security is enabled: a snapshot by a role without BYPASSRLS "
        "that does not own the table reads only the rows the policies allow",
    )
    column_count: int | None = None
    toastable_columns: list[ToastableColumn] | None = Field(
        default=None,
        description="columns whose values can be stored out of line (TOAST); unchanged "
        "TOASTed values are not in the WAL of an UPDATE unless REPLICA IDENTITY FULL",
    )
    special_columns: list[SpecialColumn] | None = Field(
        default=None, description="columns of types that CDC tools handle specially"
    )
    generated_columns: list[str] | None = None

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
    restart_lsn: Lsn | None = None
    confirmed_flush_lsn: Lsn | None = None
    wal_status: str | None = None
    safe_wal_size: int | None = None
    two_phase: bool | None = None
    conflicting: bool | None = None
    failover: bool | None = None
    synced: bool | None = None
    inactive_since: datetime | None = None
    invalidation_reason: str | None = None
    xmin: str | None = None
    catalog_xmin: str | None = None
    two_phase_at: Lsn | None = None
    retained_bytes: int | None = Field(
        default=None, description="pg_current_wal_lsn() - restart_lsn, bytes of WAL the slot holds"
    )
    xmin_age: int | None = None
    catalog_xmin_age: int | None = None


class DatabaseCounters(FactModel):
    """Cumulative ``pg_stat_database`` counters of one database at one moment."""

    xact_commit: int | None = None
    xact_rollback: int | None = None
    tup_inserted: int | None = None
    tup_updated: int | None = None
    tup_deleted: int | None = None


# The order of the per-interval table counters in WalSample.table_changes.
TABLE_CHANGE_COUNTERS = ("n_tup_ins", "n_tup_upd", "n_tup_del", "n_tup_hot_upd")
# the scans Sampling.table_scans counts per table: sequential scans, and index scans summed over
# the table's indexes (pg_stat_all_tables.seq_scan and idx_scan)
SCAN_COUNTERS = ("seq_scan", "idx_scan")


class SlotPosition(FactModel):
    """Where one replication slot stood at one sample (``pg_replication_slots``)."""

    slot_type: str | None = Field(default=None, description="logical | physical")
    active: bool = False
    restart_lsn: Lsn | None = None
    confirmed_flush_lsn: Lsn | None = Field(
        default=None, description="what the consumer confirmed (logical slots only)"
    )


class WalSample(FactModel):
    """One sampler observation."""

    at: datetime
    lsn: Lsn | None = None
    wal_bytes: int | None = Field(default=None, description="pg_stat_wal.wal_bytes")
    wal_records: int | None = None
    wal_fpi: int | None = None
    xact_commit: int | None = None
    xact_rollback: int | None = None
    tup_inserted: int | None = Field(default=None, description="sum over pg_stat_database")
    tup_updated: int | None = None
    tup_deleted: int | None = None
    databases: dict[str, DatabaseCounters] = Field(
        default_factory=dict, description="per-database counters; the fields above are their sum"
    )
    table_changes: dict[str, list[int]] | None = Field(
        default=None,
        description="qualified table name -> [n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd] "
        "changes since the previous sample (TABLE_CHANGE_COUNTERS), only for tables that "
        "changed; None on the first sample and when row changes were not sampled",
    )
    slots: dict[str, SlotPosition] | None = Field(
        default=None,
        description="slot name -> its position at this sample; {} when there was no slot, "
        "None when slot positions were not sampled",
    )
    checkpoints: int | None = Field(
        default=None, description="completed checkpoints (pg_stat_bgwriter / pg_stat_checkpointer)"
    )
    checkpoint_buffers: int | None = Field(
        default=None, description="buffers written by checkpoints"
    )
    checkpoint_time: datetime | None = Field(
        default=None, description="when the latest checkpoint started (pg_control_checkpoint())"
    )


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
    table_scans: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="qualified table name -> seq_scan / idx_scan change over the window "
        "(SCAN_COUNTERS), for the tables of table_deltas; empty when not sampled",
    )


class Role(FactModel):
    """The auditing role and what it may do."""

    name: str
    superuser: bool = False
    replication: bool = False
    bypass_rls: bool | None = None
    member_of: list[str] = Field(default_factory=list)
    can_create_on_database: bool | None = None


class Database(FactModel):
    """A database of the instance: WAL is shared by all of them (heartbeats, retention)."""

    name: str
    size_bytes: int | None = Field(
        default=None, description="None when the role may not CONNECT and lacks pg_read_all_stats"
    )
    allow_connections: bool = True
    is_template: bool = False
    encoding: str | None = Field(
        default=None, description="character set, pg_encoding_to_char(datencoding): UTF8, ..."
    )
    connections: int | None = Field(default=None, description="pg_stat_database.numbackends")
    counters: DatabaseCounters | None = None
    stats_reset: datetime | None = None
    frozen_xid_age: int | None = Field(default=None, description="age(datfrozenxid)")


class WalStats(FactModel):
    """``pg_stat_wal`` (14+) as collected: cumulative since ``stats_reset`` (the long-term rate)."""

    wal_records: int | None = None
    wal_fpi: int | None = None
    wal_bytes: int | None = None
    wal_buffers_full: int | None = None
    stats_reset: datetime | None = Field(
        default=None, description="None: never reset, so counting since initdb or the last crash"
    )


class Archiver(FactModel):
    """``pg_stat_archiver``: how WAL archiving (``archive_mode``) has fared since its reset."""

    archived_count: int | None = None
    last_archived_wal: str | None = Field(default=None, description="WAL file name")
    last_archived_time: datetime | None = None
    failed_count: int | None = None
    last_failed_wal: str | None = None
    last_failed_time: datetime | None = None
    stats_reset: datetime | None = None


class SlotStats(FactModel):
    """``pg_stat_replication_slots`` (14+): what decoding a logical slot has cost."""

    slot_name: str
    spill_txns: int | None = None
    spill_count: int | None = None
    spill_bytes: int | None = None
    stream_txns: int | None = None
    stream_count: int | None = None
    stream_bytes: int | None = None
    total_txns: int | None = None
    total_bytes: int | None = None
    stats_reset: datetime | None = None


class Sender(FactModel):
    """A WAL sender (``pg_stat_replication``): a standby or a CDC client streaming now."""

    pid: int
    user: str | None = None
    application_name: str | None = None
    client_addr: str | None = None
    state: str | None = None
    slot_name: str | None = None
    sent_lsn: Lsn | None = None
    write_lsn: Lsn | None = None
    flush_lsn: Lsn | None = None
    replay_lsn: Lsn | None = None
    write_lag_seconds: float | None = None
    flush_lag_seconds: float | None = None
    replay_lag_seconds: float | None = None
    sync_state: str | None = None
    backend_start: datetime | None = None
    reply_time: datetime | None = None


class PublicationTable(FactModel):
    """A table a publication publishes, with its column list and row filter (15+)."""

    qualified_name: str
    columns: list[str] | None = Field(default=None, description="None: every column")
    row_filter: str | None = None


class Publication(FactModel):
    """A publication and what it publishes."""

    name: str
    owner: str | None = None
    all_tables: bool = False
    insert: bool = True
    update: bool = True
    delete: bool = True
    truncate: bool = True
    via_root: bool | None = None
    generated_columns: str | None = Field(
        default=None, description="pubgencols (18+): 'n' none, 's' stored"
    )
    schemas: list[str] | None = Field(
        default=None, description="FOR TABLES IN SCHEMA (15+), quoted; None before 15"
    )
    tables: list[PublicationTable] = Field(
        default_factory=list, description="member tables; empty for FOR ALL TABLES"
    )


class Extension(FactModel):
    """An extension installed in the database, or available and relevant to CDC."""

    name: str
    installed_version: str | None = None
    default_version: str | None = None
    schema_name: str | None = None


class SessionActivity(FactModel):
    """A session with an open transaction or an xmin horizon (``pg_stat_activity``)."""

    pid: int
    user: str | None = None
    application_name: str | None = None
    database: str | None = None
    backend_type: str | None = None
    state: str | None = None
    xact_started_at: datetime | None = None
    xact_age_seconds: float | None = None
    state_age_seconds: float | None = None
    backend_xmin_age: int | None = None
    wait_event_type: str | None = None
    wait_event: str | None = None


class PreparedXact(FactModel):
    """A prepared (two-phase) transaction: it holds back the xmin horizon until resolved."""

    gid: str
    database: str | None = None
    owner: str | None = None
    prepared_at: datetime | None = None
    xid_age: int | None = None


class Sequence(FactModel):
    """A sequence: logical decoding does not replicate sequence values."""

    qualified_name: str
    data_type: str | None = None
    owned_by: str | None = Field(default=None, description="quoted schema.table.column")
    identity: bool = Field(default=False, description="backs an identity column")


class EventTrigger(FactModel):
    """An event trigger (DDL capture tools install these)."""

    name: str
    event: str
    enabled: str = Field(description="origin | replica | always | disabled")
    function: str | None = None
    owner: str | None = None
    tags: list[str] | None = None


class OtherRelation(FactModel):
    """A relation logical decoding does not capture: foreign tables and materialized views."""

    qualified_name: str
    kind: str = Field(description="foreign_table | materialized_view")


class Facts(FactModel):
    """The facts document: the contract between ``collect`` and ``analyze``."""

    schema_version: int = SCHEMA_VERSION
    tool_version: str
    collected_at: datetime
    collection_seconds: float | None = Field(
        default=None,
        description="seconds from connecting to the last fact (sampling window, read probe and "
        "AWS included); None in facts written before it was recorded",
    )
    target: Target
    server: Server | None = None
    settings: dict[str, Setting] | None = None
    role_settings: list[RoleSetting] | None = Field(
        default=None,
        description="per-role and per-database defaults of the settings the rules read "
        "(pg_db_role_setting)",
    )
    tables: list[Table] | None = None
    slots: list[Slot] | None = None
    role: Role | None = None
    sampling: Sampling | None = None
    walinspect: WalInspect | None = None
    read_probe: ReadProbe | None = None
    decoding_probe: DecodingProbe | None = None
    current_wal_lsn: Lsn | None = None
    databases: list[Database] | None = None
    wal_stats: WalStats | None = None
    archiver: Archiver | None = None
    slot_stats: list[SlotStats] | None = None
    senders: list[Sender] | None = None
    publications: list[Publication] | None = None
    extensions: list[Extension] | None = None
    sessions: list[SessionActivity] | None = Field(
        default=None,
        description="other sessions with an open transaction for 10 s or more, idle in "
        "transaction, or holding an xmin horizon",
    )
    prepared_xacts: list[PreparedXact] | None = None
    large_objects: int | None = None
    sequences: list[Sequence] | None = None
    event_triggers: list[EventTrigger] | None = None
    output_plugins: dict[str, bool] | None = Field(
        default=None,
        description="plugin -> its shared library is in the server's PKGLIBDIR (decoderbufs, "
        "test_decoding, wal2json); None when the role may not look",
    )
    other_relations: list[OtherRelation] | None = None
    replication_connection: ReplicationConnection | None = Field(
        default=None,
        description="the audit's own replication connection (replication=database) and "
        "IDENTIFY_SYSTEM, or why it was not attempted",
    )
    hba_rules: list[HbaRule] | None = Field(
        default=None, description="pg_hba_file_rules (superusers only by default)"
    )
    connection_path: ConnectionPath | None = Field(
        default=None,
        description="what the session saw of the way to the server (pooler and proxy signs)",
    )
    aws: AwsFacts | None = None
    labels: dict[str, str] = Field(
        default_factory=dict, description="free-form labels, e.g. scenario=demo, simulated=aws"
    )
    issues: list[CollectionIssue] = Field(default_factory=list)
    extra: dict[str, Any] = Field(
        default_factory=dict, description="collector-specific details kept for the record"
    )

    @property
    def platform(self) -> Platform:
        """The one platform of this document: engine, version, cluster, writer, region."""
        return decide_platform(self.server, self.aws)

    def setting(self, name: str) -> Setting | None:
        return (self.settings or {}).get(name)

    def issue_for(self, family: str) -> CollectionIssue | None:
        return next((i for i in self.issues if i.family == family), None)
