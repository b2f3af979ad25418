"""Facts for rule tests: valid, clean defaults, so that a test states only what matters.

Every default describes a well-configured PostgreSQL 17 server ready for CDC: ``wal_level =
logical``, headroom for slots and senders, a bounded ``max_slot_wal_keep_size``, tables with
primary keys, no slots. Each rule passes on ``facts()`` (``test_catalogue`` checks it), so a
test changes one thing and watches the rule react.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.engine import Finding, Rule, RuleContext, RuleResult, get_profile, run_rule
from audit.estimate import EstimateOptions, estimate_all
from audit.facts import (
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
from audit.facts.connection import ConnectionPath, ReplicationConnection
from audit.facts.models import (
    Archiver,
    Database,
    EventTrigger,
    Publication,
    PublicationTable,
    SessionActivity,
    SlotStats,
    WalStats,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
GIB = 1024**3
MIB = 1024**2

# name -> (unit, context) as pg_settings reports them
_SETTING_META: dict[str, tuple[str | None, str]] = {
    "wal_level": (None, "postmaster"),
    "max_replication_slots": (None, "postmaster"),
    "max_wal_senders": (None, "postmaster"),
    "max_connections": (None, "postmaster"),
    "superuser_reserved_connections": (None, "postmaster"),
    "reserved_connections": (None, "postmaster"),
    "max_worker_processes": (None, "postmaster"),
    "max_logical_replication_workers": (None, "postmaster"),
    "max_slot_wal_keep_size": ("MB", "sighup"),
    "wal_keep_size": ("MB", "sighup"),
    "max_wal_size": ("MB", "sighup"),
    "wal_sender_timeout": ("ms", "user"),
    "logical_decoding_work_mem": ("kB", "user"),
    "idle_replication_slot_timeout": ("s", "sighup"),
    "idle_in_transaction_session_timeout": ("ms", "user"),
    "hot_standby_feedback": (None, "sighup"),
    "track_counts": (None, "superuser"),
    "synchronous_standby_names": (None, "sighup"),
    "autovacuum_freeze_max_age": (None, "postmaster"),
    "shared_buffers": ("8kB", "postmaster"),
    "rds.logical_replication": (None, "postmaster"),
    "sync_replication_slots": (None, "sighup"),
    "synchronized_standby_slots": (None, "sighup"),
    "track_commit_timestamp": (None, "postmaster"),
    "archive_mode": (None, "postmaster"),
    "wal_segment_size": ("B", "internal"),
}

CLEAN_SETTINGS: dict[str, str] = {
    "wal_level": "logical",
    "max_replication_slots": "10",
    "max_wal_senders": "10",
    "max_connections": "100",
    "superuser_reserved_connections": "3",
    "reserved_connections": "0",
    "max_worker_processes": "8",
    "max_logical_replication_workers": "4",
    "max_slot_wal_keep_size": "102400",
    "wal_keep_size": "0",
    "max_wal_size": "1024",
    "wal_sender_timeout": "60000",
    "logical_decoding_work_mem": "65536",
    "idle_in_transaction_session_timeout": "0",
    "hot_standby_feedback": "off",
    "autovacuum_freeze_max_age": "200000000",
    "track_counts": "on",
    "synchronous_standby_names": "",
    "archive_mode": "off",
    "wal_segment_size": str(16 * 1024**2),
}


def server(**overrides: Any) -> Server:
    values: dict[str, Any] = {
        "version": "17.2",
        "version_num": 170002,
        "in_recovery": False,
        "current_database": "app",
        "current_user": "cdc",
        "started_at": NOW - timedelta(days=30),
        "stats_reset": NOW - timedelta(days=30),
    }
    values.update(overrides)
    return Server(**values)


def aurora(**overrides: Any) -> Server:
    """An Aurora PostgreSQL writer."""
    return server(**{"is_rds": True, "aurora_version": "17.2.1", **overrides})


def rds(**overrides: Any) -> Server:
    """An RDS for PostgreSQL instance."""
    return server(**{"is_rds": True, **overrides})


def setting(name: str, value: str, **kw: Any) -> Setting:
    unit, context = _SETTING_META.get(name, (None, "user"))
    values: dict[str, Any] = {"unit": unit, "context": context, "source": "configuration file"}
    values.update(kw)
    return Setting(name=name, value=value, **values)


def settings(
    overrides: Mapping[str, str | Setting | None] | None = None, **name_values: str | Setting | None
) -> dict[str, Setting]:
    """The clean settings with some replaced; ``None`` removes a setting (not collected).

    Dotted names go in the mapping: ``settings({"rds.logical_replication": "on"})``.
    """
    wanted: dict[str, str | Setting | None] = dict(CLEAN_SETTINGS)
    wanted.update(overrides or {})
    wanted.update(name_values)
    result: dict[str, Setting] = {}
    for name, value in wanted.items():
        if value is None:
            continue
        result[name] = value if isinstance(value, Setting) else setting(name, value)
    return result


def _split(qualified_name: str) -> tuple[str, str]:
    schema, _, name = qualified_name.partition(".")
    return schema.strip('"'), name.strip('"')


def table(qualified_name: str = "public.t", **overrides: Any) -> Table:
    """An ordinary logged table with a primary key and some inserts, no updates or deletes."""
    schema_name, name = _split(qualified_name)
    values: dict[str, Any] = {
        "schema_name": schema_name,
        "name": name,
        "qualified_name": qualified_name,
        "kind": TableKind.ORDINARY,
        "owner": "app",
        "replica_identity": ReplicaIdentity.DEFAULT,
        "primary_key": ["id"],
        "unique_candidates": [f"{name}_pkey"],
        "reltuples": 10_000.0,
        "heap_bytes": 8 * MIB,
        "toast_bytes": 0,
        "index_bytes": 1 * MIB,
        "avg_row_bytes": 120.0,
        "n_tup_ins": 10_000,
        "n_tup_upd": 0,
        "n_tup_del": 0,
        "n_tup_hot_upd": 0,
        "n_live_tup": 10_000,
        "last_analyze": NOW - timedelta(days=1),
        "can_select": True,
        "row_security": False,
        "column_count": 5,
        "toastable_columns": [],
        "special_columns": [],
        "generated_columns": [],
    }
    values.update(overrides)
    return Table(**values)


def slot(name: str = "debezium", **overrides: Any) -> Slot:
    """An active logical pgoutput slot of the audited database, holding little WAL."""
    values: dict[str, Any] = {
        "slot_type": "logical",
        "plugin": "pgoutput",
        "database": "app",
        "temporary": False,
        "active": True,
        "active_pid": 4242,
        "restart_lsn": "0/5000000",
        "confirmed_flush_lsn": "0/5000100",
        "wal_status": "reserved",
        "safe_wal_size": 100 * GIB,
        "retained_bytes": 16 * MIB,
        "xmin_age": None,
        "catalog_xmin_age": 1_000,
    }
    values.update(overrides)
    return Slot(slot_name=name, **values)


def physical_slot(name: str = "standby1", **overrides: Any) -> Slot:
    """An active physical slot of a streaming standby."""
    values: dict[str, Any] = {
        "slot_type": "physical",
        "plugin": None,
        "database": None,
        "catalog_xmin_age": None,
        "xmin_age": None,
    }
    values.update(overrides)
    return slot(name, **values)


def role(**overrides: Any) -> Role:
    values: dict[str, Any] = {
        "name": "cdc",
        "replication": True,
        "bypass_rls": False,
        "can_create_on_database": True,
    }
    values.update(overrides)
    return Role(**values)


WAL_STATS_RESET = NOW - timedelta(days=30)


def lsn(position: int) -> str:
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


def sampling(
    seconds: float = 300,
    wal: int | None = 20 * MIB,
    instance_rows: int | None = 5_000,
    table_deltas: dict[str, dict[str, int]] | None = None,
    methods: list[str] | None = None,
) -> Sampling:
    """A sampling window of ``seconds`` with two samples: ``wal`` bytes of WAL between them,
    ``instance_rows`` inserted instance-wide, and per-table deltas (default: public.t busy)."""
    start = NOW - timedelta(seconds=seconds)
    base = 0x5000000
    # pg_stat_wal since its reset (WAL_STATS_RESET) at the window's own rate: a representative
    # window (estimates.window)
    history = int((wal or 0) / seconds * (start - WAL_STATS_RESET).total_seconds())
    first = WalSample(
        at=start,
        lsn=lsn(base),
        wal_bytes=history if wal is not None else None,
        tup_inserted=0,
        tup_updated=0,
        tup_deleted=0,
    )
    last = WalSample(
        at=NOW,
        lsn=lsn(base + wal) if wal is not None else None,
        tup_inserted=instance_rows,
        tup_updated=0 if instance_rows is not None else None,
        tup_deleted=0 if instance_rows is not None else None,
    )
    if wal is None:
        first = first.model_copy(update={"lsn": None})
    if instance_rows is None:
        first = first.model_copy(
            update={"tup_inserted": None, "tup_updated": None, "tup_deleted": None}
        )
    return Sampling(
        started_at=start,
        ended_at=NOW,
        interval_seconds=seconds,
        requested_seconds=seconds,
        methods=methods if methods is not None else ["lsn", "row_changes"],
        samples=[first, last],
        table_deltas=(
            table_deltas
            if table_deltas is not None
            else {"public.t": {"n_tup_ins": 500, "n_tup_upd": 0, "n_tup_del": 0}}
        ),
    )


def publication(name: str = "dbz_publication", **overrides: Any) -> Publication:
    """Debezium's default publication: FOR ALL TABLES, via the partition root."""
    values: dict[str, Any] = {"owner": "postgres", "all_tables": True, "via_root": True}
    values.update(overrides)
    return Publication(name=name, **values)


def published(qualified_name: str, columns: list[str] | None = None) -> PublicationTable:
    return PublicationTable(qualified_name=qualified_name, columns=columns)


def database(name: str = "app", **overrides: Any) -> Database:
    values: dict[str, Any] = {"size_bytes": 2 * GIB, "connections": 12, "encoding": "UTF8"}
    values.update(overrides)
    return Database(name=name, **values)


def session(pid: int = 4711, **overrides: Any) -> SessionActivity:
    """A client session of the application, in a transaction for 20 s."""
    values: dict[str, Any] = {
        "user": "app",
        "application_name": "billing",
        "database": "app",
        "backend_type": "client backend",
        "state": "active",
        "xact_started_at": NOW - timedelta(seconds=20),
        "xact_age_seconds": 20.0,
        "state_age_seconds": 1.0,
    }
    values.update(overrides)
    return SessionActivity(pid=pid, **values)


def slot_stats(name: str = "debezium", **overrides: Any) -> SlotStats:
    values: dict[str, Any] = {
        "spill_txns": 0,
        "spill_count": 0,
        "spill_bytes": 0,
        "total_txns": 10_000,
        "total_bytes": 20 * GIB,
        "stats_reset": NOW - timedelta(days=30),
    }
    values.update(overrides)
    return SlotStats(slot_name=name, **values)


def replication_connection(**overrides: Any) -> ReplicationConnection:
    """A replication connection that opened and answered IDENTIFY_SYSTEM."""
    values: dict[str, Any] = {
        "attempted": True,
        "ok": True,
        "seconds": 0.02,
        "system_identifier": "7300000000000000001",
        "timeline": 1,
        "xlogpos": "0/3000148",
        "dbname": "app",
    }
    values.update(overrides)
    return ReplicationConnection(**values)


def connection_path(**overrides: Any) -> ConnectionPath:
    """A TCP session straight to the server: same port, same address, one backend."""
    values: dict[str, Any] = {
        "host": "10.0.0.5",
        "port": 5432,
        "server_addr": "10.0.0.5",
        "server_port": 5432,
        "client_addr": "10.0.1.20",
        "port_setting": 5432,
        "protocol_pid": 4242,
        "backend_pids": [4242, 4242],
        "ssl": True,
    }
    values.update(overrides)
    return ConnectionPath(**values)


def facts(**overrides: Any) -> Facts:
    values: dict[str, Any] = {
        "tool_version": "0.1.0",
        "collected_at": NOW,
        "target": Target(host="db.example", port=5432, dbname="app", user="cdc"),
        "server": server(),
        "settings": settings(),
        "tables": [table()],
        "slots": [],
        "role": role(),
        "sampling": sampling(),
        "databases": [database(), database("postgres", connections=2)],
        "archiver": Archiver(archived_count=0, failed_count=0),
        "wal_stats": WalStats(stats_reset=WAL_STATS_RESET),
        "slot_stats": [],
        "senders": [],
        "publications": [publication()],
        "extensions": [],
        "sessions": [],
        "prepared_xacts": [],
        "large_objects": 0,
        "sequences": [],
        # DMS's DDL capture, set up the way DMS needs it (CDC020); nothing else looks at it
        "event_triggers": [
            EventTrigger(
                name="awsdms_intercept_ddl",
                event="ddl_command_end",
                enabled="always",
                function="public.awsdms_intercept_ddl",
                owner="postgres",
            )
        ],
        "output_plugins": {"decoderbufs": False, "test_decoding": True, "wal2json": False},
        "other_relations": [],
        "replication_connection": replication_connection(),
        "connection_path": connection_path(),
    }
    values.update(overrides)
    return Facts(**values)


def run(
    rule: Rule,
    the_facts: Facts,
    profile: str = "debezium",
    *,
    estimates: EstimateOptions | None = None,
    connector_role: str | None = None,
    **options: Any,
) -> RuleResult:
    """Run one rule the way the engine does, its options validated as the configuration does;
    ``estimates`` are the ``[estimates]`` options its capacity figures are computed with."""
    the_profile = get_profile(profile)
    context = RuleContext(
        profile=the_profile,
        options=rule.options.model_validate(options),
        estimates=estimate_all(the_facts, the_profile, estimates) if estimates else None,
        connector_role=connector_role,
    )
    return run_rule(rule, the_facts, context)


def fix_text(finding: Finding) -> str:
    """A finding's fix as one block of text (notes as comments), "" without a fix."""
    return finding.fix.text() if finding.fix is not None else ""
