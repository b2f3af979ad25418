"""The inventory: what the audited database holds, restated from the facts for the report.

Tables (every one: the CSV is the full matrix), settings beside the value CDC needs, slots,
publications and, for RDS and Aurora, the cluster, its members and their parameter groups.
Per-table capacity figures (changes per second, extra WAL under logical, snapshot time) are
joined from the estimates where the estimate lists the table. Pure: facts in, models out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field

from audit.estimate.model import Estimates
from audit.estimate.result import Range
from audit.facts import Facts, ReplicaIdentity, Table, TableKind
from audit.facts.aws import AwsCluster, AwsFacts, AwsMember
from audit.facts.models import Publication
from audit.platform.staged import staged_settings
from audit.report.base import ReportModel, rounded
from audit.report.redact import redact


@dataclass(slots=True, kw_only=True)
class InventoryTable:
    """One row of the per-table matrix (tables.csv has every column).

    A standard-library dataclass, validated by pydantic where a report is read back (extra
    keys refused, as for every report model): built from facts already validated, the 50,000
    rows of a large schema are made without validating each again, and without the field set
    a pydantic model keeps beside each instance. Not frozen, but never changed once built: a
    frozen dataclass sets each of its 29 fields through ``object.__setattr__``, four times the
    cost of building the row (0.2 s on 50,000 tables).
    """

    __pydantic_config__ = ConfigDict(extra="forbid")

    name: Annotated[str, Field(description="quoted qualified name")]
    kind: str
    parent: str | None = None
    scope: Annotated[str, Field(description="what a connector would capture of it")]
    unlogged: Annotated[
        bool,
        Field(description="unlogged: writes no WAL, never captured, not in the estimates"),
    ] = False
    primary_key: list[str] | None = None
    replica_identity: str
    identity_index: str | None = None
    rows: float | None = None
    heap_bytes: Annotated[
        int | None, Field(description="heap (main fork) only; 0 for a partitioned parent")
    ] = None
    toast_bytes: Annotated[int | None, Field(description="TOAST table and its index")] = None
    index_bytes: Annotated[int | None, Field(description="the table's indexes")] = None
    total_bytes: Annotated[
        int | None,
        Field(description="heap + TOAST + indexes (the snapshot reads heap + TOAST)"),
    ] = None
    n_tup_ins: int | None = None
    n_tup_upd: int | None = None
    n_tup_del: int | None = None
    update_share: Annotated[float | None, Field(description="updates / all row changes")] = None
    delete_share: Annotated[float | None, Field(description="deletes / all row changes")] = None
    share_basis: Annotated[
        str | None, Field(description='"window" (sampling deltas) or "since statistics reset"')
    ] = None
    changes_per_s: Annotated[
        float | None, Field(description="rows changed per second over the sampling window")
    ] = None
    extra_wal_bytes_per_s: Annotated[
        float | None,
        Field(description="extra WAL under wal_level=logical (expected), when estimated"),
    ] = None
    snapshot_seconds: Annotated[
        Range | None, Field(description="time to copy the table, when the estimate lists it")
    ] = None
    toastable_columns: list[str] | None = None
    special_columns: list[str] | None = None
    can_select: bool | None = None
    row_security: bool | None = None


class InventorySetting(ReportModel):
    """A server setting: what runs, what is staged, and what CDC needs."""

    name: str
    value: str | None = Field(
        description="the running value; None when the server does not report it"
    )
    unit: str | None = None
    configured: str | None = Field(
        default=None,
        description="a staged value the running server has not applied (audit.platform.staged)",
    )
    configured_source: str | None = Field(
        default=None,
        description="where the staged value waits, or what it is derived from, and what applies it",
    )
    applies_at: str | None = Field(
        default=None, description="what applies the staged value: reload | restart | writer reboot"
    )
    required: str | None = Field(default=None, description="the value CDC needs, where known")
    pending_restart: bool = False
    context: str | None = None
    source: str | None = None


class InventorySlot(ReportModel):
    name: str
    slot_type: str
    plugin: str | None = None
    database: str | None = None
    temporary: bool = False
    active: bool = False
    wal_status: str | None = None
    retained_bytes: int | None = None
    inactive_since: datetime | None = None
    xmin_age: int | None = None
    catalog_xmin_age: int | None = None
    failover: bool | None = None
    invalidation_reason: str | None = None


class InventoryPublication(ReportModel):
    name: str
    owner: str | None = None
    all_tables: bool = False
    operations: list[str]
    via_root: bool | None = None
    schemas: list[str] | None = None
    tables: int = Field(description="member tables listed (FOR TABLE)")


class InventoryAwsParameter(ReportModel):
    group: str
    level: str = Field(description="cluster | instance")
    name: str
    value: str | None = None
    apply_type: str | None = None
    apply_method: str | None = None
    source: str | None = None


class InventoryAws(ReportModel):
    simulated: bool = False
    region: str | None = None
    source: str | None = None
    discovered_by: str | None = None
    cluster: AwsCluster | None = None
    members: list[AwsMember] | None = None
    parameters: list[InventoryAwsParameter] | None = None


class Inventory(ReportModel):
    """Each part is None when its facts were not collected (the reason is a collection issue)."""

    tables: list[InventoryTable] | None = None
    settings: list[InventorySetting] | None = None
    slots: list[InventorySlot] | None = None
    publications: list[InventoryPublication] | None = None
    aws: InventoryAws | None = None


def build_inventory(facts: Facts, estimates: Estimates | None = None) -> Inventory:
    return Inventory(
        tables=_tables(facts, estimates) if facts.tables is not None else None,
        settings=_settings(facts, estimates) if facts.settings is not None else None,
        slots=[
            InventorySlot(
                name=s.slot_name,
                slot_type=s.slot_type,
                plugin=s.plugin,
                database=s.database,
                temporary=s.temporary,
                active=s.active,
                wal_status=s.wal_status,
                retained_bytes=s.retained_bytes,
                inactive_since=s.inactive_since,
                xmin_age=s.xmin_age,
                catalog_xmin_age=s.catalog_xmin_age,
                failover=s.failover,
                invalidation_reason=s.invalidation_reason,
            )
            for s in sorted(facts.slots, key=lambda s: s.slot_name)
        ]
        if facts.slots is not None
        else None,
        publications=[_publication(p) for p in sorted(facts.publications, key=lambda p: p.name)]
        if facts.publications is not None
        else None,
        aws=_aws(facts.aws) if facts.aws is not None else None,
    )


# -- tables --------------------------------------------------------------------------------


def _rows(table: Table) -> float | None:
    if table.reltuples is not None and table.reltuples >= 0:
        return table.reltuples
    return float(table.n_live_tup) if table.n_live_tup is not None else None


def _share(value: float) -> float:
    """:func:`rounded` to 4 digits, for a finite share (the same float, without its checks)."""
    return float(f"{value:.4g}") if value else 0.0


def _shares(
    table: Table, delta: Mapping[str, int] | None
) -> tuple[float | None, float | None, str | None]:
    """Update and delete shares of the row changes: over the sampling window when the table
    changed in it (the workload CDC will see), else since the statistics were reset."""
    if delta is not None:
        get = delta.get
        upd, dele = get("n_tup_upd", 0), get("n_tup_del", 0)
        total = get("n_tup_ins", 0) + upd + dele
        if total > 0:
            return _share(upd / total), _share(dele / total), "window"
    inserted, updated, deleted = table.n_tup_ins, table.n_tup_upd, table.n_tup_del
    if inserted is None or updated is None or deleted is None:
        return None, None, None
    changed = inserted + updated + deleted
    if changed == 0:
        return 0.0, 0.0, "since statistics reset"
    return _share(updated / changed), _share(deleted / changed), "since statistics reset"


class _Publications:
    """Which publications publish a table (directly, by schema, or through its parent)."""

    def __init__(self, publications: list[Publication] | None) -> None:
        self.known = publications is not None
        self.entries = [
            (
                p.name,
                p.all_tables,
                tuple(f"{s}." for s in p.schemas or []),
                {t.qualified_name for t in p.tables},
            )
            for p in sorted(publications or [], key=lambda p: p.name)
        ]

    def of(self, table: Table) -> list[str]:
        names = []
        for name, all_tables, schemas, members in self.entries:
            if (
                all_tables
                or table.qualified_name in members
                or (table.parent is not None and table.parent in members)
                or table.qualified_name.startswith(schemas)
            ):
                names.append(name)
        return names


def _scope(table: Table, publications: _Publications) -> str:
    if table.unlogged:
        return "not captured: unlogged"
    if table.kind is TableKind.PARTITIONED:
        return "partitioned: captured through its partitions"
    if not publications.known or not publications.entries:
        return "captured"
    names = publications.of(table)
    return "published: " + ", ".join(names) if names else "not in a publication"


def _tables(facts: Facts, estimates: Estimates | None) -> list[InventoryTable]:
    publications = _Publications(facts.publications)
    deltas = facts.sampling.table_deltas if facts.sampling else {}
    changes = (
        {r.table: r.events_per_s for r in estimates.change_stream.per_table} if estimates else {}
    )
    changes_known = estimates is not None and estimates.change_stream.ok
    extra = {r.table: r.extra_bytes_per_s for r in estimates.wal.per_table} if estimates else {}
    snapshot = {r.table: r.seconds for r in estimates.snapshot.per_table} if estimates else {}
    out: list[InventoryTable] = []
    kinds = {k: k.value for k in TableKind}  # an enum's .value is a descriptor call
    identities = {r: r.value for r in ReplicaIdentity}
    for table in sorted(facts.tables or [], key=lambda t: t.qualified_name):
        name = table.qualified_name
        update_share, delete_share, basis = _shares(table, deltas.get(name))
        events = changes.get(name)
        logged = table.kind is TableKind.ORDINARY and not table.unlogged
        if events is None and changes_known and logged:
            events = 0.0
        wal = extra.get(name)
        heap, toast, index = table.heap_bytes, table.toast_bytes, table.index_bytes
        toastable, special = table.toastable_columns, table.special_columns
        out.append(
            InventoryTable(
                name=name,
                kind=kinds[table.kind],
                parent=table.parent,
                scope=_scope(table, publications),
                unlogged=table.unlogged,
                primary_key=table.primary_key,
                replica_identity=identities[table.replica_identity],
                identity_index=table.identity_index,
                rows=_rows(table),
                heap_bytes=heap,
                toast_bytes=toast,
                index_bytes=index,
                total_bytes=None  # Table.total_bytes, without its generator
                if heap is None and toast is None and index is None
                else (heap or 0) + (toast or 0) + (index or 0),
                n_tup_ins=table.n_tup_ins,
                n_tup_upd=table.n_tup_upd,
                n_tup_del=table.n_tup_del,
                update_share=update_share,
                delete_share=delete_share,
                share_basis=basis,
                changes_per_s=rounded(events) if events is not None else None,
                extra_wal_bytes_per_s=wal.expected if wal else None,
                snapshot_seconds=snapshot.get(name),
                toastable_columns=[c.name for c in toastable] if toastable is not None else None,
                special_columns=[f"{c.name} ({', '.join(c.kinds)})" for c in special]
                if special is not None
                else None,
                can_select=table.can_select,
                row_security=table.row_security,
            )
        )
    return out


# -- settings ------------------------------------------------------------------------------


def _required(name: str, estimates: Estimates | None) -> str | None:
    """What CDC needs of the setting, from its one recommendation (floor, else the value)."""
    recommendation = estimates.recommendations.setting(name) if estimates else None
    if recommendation is None or not recommendation.ok:
        return None
    if recommendation.needed is not None and recommendation.needed != recommendation.recommended:
        return f"≥ {recommendation.needed} (recommended {recommendation.recommended})"
    if recommendation.needed is not None:
        return f"≥ {recommendation.needed}"
    return recommendation.recommended


def _settings(facts: Facts, estimates: Estimates | None) -> list[InventorySetting]:
    """Every collected setting, and every staged one the server does not report (a parameter
    group can stage a setting the audit did not read), with its staged value."""
    running = facts.settings or {}
    staged = staged_settings(facts)
    rows = []
    for name in sorted(running.keys() | staged.keys()):
        setting, pending = running.get(name), staged.get(name)
        rows.append(
            InventorySetting(
                name=name,
                value=redact(name, setting.value) or "" if setting else None,
                unit=setting.unit if setting else None,
                configured=redact(name, pending.value) if pending else None,
                configured_source=pending.label if pending else None,
                applies_at=pending.applies_at if pending else None,
                required=_required(name, estimates),
                pending_restart=setting.pending_restart if setting else False,
                context=setting.context if setting else None,
                source=setting.source if setting else None,
            )
        )
    return rows


# -- publications and AWS --------------------------------------------------------------------


def _publication(publication: Publication) -> InventoryPublication:
    operations = [
        op
        for op, on in (
            ("insert", publication.insert),
            ("update", publication.update),
            ("delete", publication.delete),
            ("truncate", publication.truncate),
        )
        if on
    ]
    return InventoryPublication(
        name=publication.name,
        owner=publication.owner,
        all_tables=publication.all_tables,
        operations=operations,
        via_root=publication.via_root,
        schemas=publication.schemas,
        tables=len(publication.tables),
    )


def _aws(aws: AwsFacts) -> InventoryAws:
    parameters: list[InventoryAwsParameter] | None = None
    groups = []
    if aws.cluster_parameter_group is not None:
        groups.append(("cluster", aws.cluster_parameter_group))
    groups += [("instance", g) for _, g in sorted((aws.instance_parameter_groups or {}).items())]
    if groups:
        parameters = [
            InventoryAwsParameter(
                group=group.name,
                level=level,
                name=p.name,
                value=p.value,
                apply_type=p.apply_type,
                apply_method=p.apply_method,
                source=p.source,
            )
            for level, group in groups
            for _, p in sorted((group.parameters or {}).items())
        ]
    return InventoryAws(
        simulated=aws.simulated,
        region=aws.region,
        source=aws.source,
        discovered_by=aws.discovered_by,
        cluster=aws.cluster,
        members=aws.members,
        parameters=parameters,
    )
