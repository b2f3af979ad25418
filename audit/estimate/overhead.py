"""Extra WAL at ``wal_level=logical``: predicted bytes per operation, added to measured WAL.

Two predictors (wal_overhead.md §4):

- **statistics** (Model A): the window's row counters (``pg_stat_user_tables`` deltas, catalog
  counters, ``xact_commit``) times the per-operation bytes of :mod:`audit.estimate.wal_bytes`.
  Always available when the sampler ran; within ±1% on DML in the lab.
- **pg_walinspect** (Model B): the window's WAL records grouped by type and relation, each group
  re-sized the way heapam.c writes it at ``wal_level=logical``. Sees full-page images, cross-page
  updates, exact commit and invalidation counts; within ±0.5% in the lab.

Both return extra bytes over the window per table and per component, as low / expected / high
ranges, for a given replica identity per table (the current one, or the recommended one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.estimate import wal_bytes as wb
from audit.estimate.model import RowWidths
from audit.estimate.result import ZERO, Range
from audit.estimate.widths import has_identity_key
from audit.facts import Facts, ReplicaIdentity, Table
from audit.facts.capacity import WalInspect, WalRecordGroup

CATALOG_SCHEMA = "pg_catalog"
# Invalidation messages per catalog tuple touched, and XACT_INVALIDATIONS records per catalog
# tuple, measured on the temp-table churn workload of bench/accuracy.py (PostgreSQL 15): used
# by the statistics predictor, which cannot see invalidations. Low end: none; high end: twice.
INVAL_MESSAGES_PER_CATALOG_TUPLE = 1.9
INVAL_RECORDS_PER_CATALOG_TUPLE = 0.157
# pg_walinspect sees the messages but not how many commands they came from (one record per
# command that changed catalogs): expected from the same measurement, low one per transaction.
INVAL_MESSAGES_PER_RECORD = 12.4
# unknown tuple width (a relation of another database with no INSERT in the window): from
# nothing (extra 0) to just under the TOAST threshold
UNKNOWN_TUPLE = Range(wb.SAME_PAGE_UPDATE_SAVED, 200.0, 2032.0)
# lab error of each predictor on LSN bytes (wal_overhead.md §4), added to its range
MODEL_ERROR = {"statistics": 0.01, "pg_walinspect": 0.005}

UPDATE_TYPES = {"UPDATE", "UPDATE+INIT", "HOT_UPDATE", "HOT_UPDATE+INIT"}
INSERT_TYPES = {"INSERT", "INSERT+INIT"}
INSERT_RECORD_FIXED = 31  # INSERT record length - t_len (XLogRecord + block ref + headers - 23)


@dataclass(frozen=True)
class Ops:
    """Row operations of one table over the sampling window."""

    ins: float = 0.0
    upd: float = 0.0
    hot: float = 0.0
    dele: float = 0.0
    newpage: float | None = None  # n_tup_newpage_upd (PostgreSQL 16+), when collected

    @classmethod
    def from_delta(cls, delta: Mapping[str, int]) -> Ops:
        newpage = delta.get("n_tup_newpage_upd")
        return cls(
            ins=float(delta.get("n_tup_ins", 0)),
            upd=float(delta.get("n_tup_upd", 0)),
            hot=float(delta.get("n_tup_hot_upd", 0)),
            dele=float(delta.get("n_tup_del", 0)),
            newpage=float(newpage) if newpage is not None else None,
        )

    @property
    def changes(self) -> float:
        return self.ins + self.upd + self.dele

    def same_page_updates(self) -> Range:
        """HOT updates for sure; with n_tup_newpage_upd, every update that stayed on its page;
        without it, non-HOT updates may have stayed on their page too (high end)."""
        if self.newpage is not None:
            same = max(self.hot, self.upd - self.newpage)
            return Range(same, same, same)
        return Range(self.hot, self.hot, max(self.hot, self.upd))

    def cross_page_updates(self) -> float:
        if self.newpage is not None:
            return self.newpage
        return max(0.0, self.upd - self.hot)


@dataclass
class Prediction:
    """Extra WAL bytes over a window, by table and by component."""

    predictor: str
    components: dict[str, Range] = field(default_factory=dict)
    per_table: dict[str, Range] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)

    def add(self, component: str, amount: Range, table: str | None = None) -> None:
        self.components[component] = self.components.get(component, ZERO) + amount
        if table is not None:
            self.per_table[table] = self.per_table.get(table, ZERO) + amount

    @property
    def total(self) -> Range:
        total = ZERO
        for amount in self.components.values():
            total = total + amount
        return total.scale(wb.PAGE_FACTOR)


TEMP_SCHEMA_PREFIXES = ("pg_temp_", "pg_toast_temp_")


def writes_no_wal(name: str, table: Table | None) -> bool:
    """Unlogged and temporary tables: their rows write no WAL, so CDC never sees them and
    ``wal_level=logical`` adds nothing for them."""
    if table is not None and table.unlogged:
        return True
    return name.startswith(TEMP_SCHEMA_PREFIXES)


def recommended_identity(table: Table) -> ReplicaIdentity:
    """The identity the report recommends: the primary key, else a unique candidate index,
    else FULL (UPDATE and DELETE cannot be published without one)."""
    if table.replica_identity is ReplicaIdentity.INDEX:
        return ReplicaIdentity.INDEX
    if table.has_primary_key:
        return ReplicaIdentity.DEFAULT
    if table.unique_candidates:
        return ReplicaIdentity.INDEX
    return ReplicaIdentity.FULL


def _per_op(count: Range | float, bytes_each: Range) -> Range:
    counts = count if isinstance(count, Range) else Range.exact(count)
    return counts.times(bytes_each.clamp_low(0.0))


def _apply(fn: Any, width: Range) -> Range:
    """A byte rule (monotone non-decreasing in its width) applied to each end of a range."""
    return Range(fn(width.low), fn(width.expected), fn(width.high))


def _identity_terms(
    prediction: Prediction,
    name: str,
    table: Table,
    identity: ReplicaIdentity,
    widths: RowWidths,
    updates: float,
    deletes: float,
) -> None:
    if identity is ReplicaIdentity.FULL:
        prediction.add(
            "full_old_rows", _per_op(updates, _apply(wb.full_update, widths.flat_bytes)), name
        )
        prediction.add(
            "full_old_rows", _per_op(deletes, _apply(wb.full_delete, widths.flat_bytes)), name
        )
    elif has_identity_key(table, identity):
        prediction.add(
            "delete_keys", _per_op(deletes, _apply(wb.delete_key, widths.key_bytes)), name
        )


# --------------------------------------------------------------------------- Model A


def commits_in_window(facts: Facts, row_changes: float) -> tuple[Range, dict[str, Any]] | None:
    """Write transactions in the window: ``xact_commit`` counts read-only ones too, so it is
    capped by the rows changed (a transaction that writes changes at least one row)."""
    sampling = facts.sampling
    if sampling is None:
        return None
    usable = [s for s in sampling.samples if s.xact_commit is not None]
    if len(usable) < 2:
        return None
    first, last = usable[0], usable[-1]
    assert first.xact_commit is not None and last.xact_commit is not None
    commits = float(last.xact_commit - first.xact_commit)
    inputs: dict[str, Any] = {"sampling.xact_commit delta": commits}
    bound = row_changes
    if all(v is not None for v in (first.tup_inserted, last.tup_inserted)):
        cluster_rows = sum(
            float((getattr(last, f) or 0) - (getattr(first, f) or 0))
            for f in ("tup_inserted", "tup_updated", "tup_deleted")
        )
        inputs["sampling.tup_* delta"] = cluster_rows
        bound = max(bound, cluster_rows)
    expected = min(commits, bound) if bound > 0 else commits
    return Range(expected / 2, expected, expected), inputs


def predict_statistics(
    facts: Facts,
    widths: Mapping[str, RowWidths],
    identities: Mapping[str, ReplicaIdentity],
    fpi_share: float | None,
    same_page_updates: Mapping[str, Range] | None = None,
) -> Prediction | None:
    """Model A over the sampling window; None without table deltas. ``same_page_updates``:
    per table, the updates that stayed on their page where a better reading than the counters'
    exists (the row-change WAL model's page simulation); the counters' range elsewhere."""
    sampling = facts.sampling
    if sampling is None or not sampling.table_deltas:
        return None
    tables = {t.qualified_name: t for t in facts.tables or []}
    prediction = Prediction("statistics")
    user_changes = 0.0
    catalog_tuples = 0.0
    missing: list[str] = []
    no_wal: list[str] = []
    for name, delta in sorted(sampling.table_deltas.items()):
        ops = Ops.from_delta(delta)
        if name.startswith(f"{CATALOG_SCHEMA}."):
            catalog_tuples += ops.ins + ops.dele + 2 * ops.upd
            continue
        table = tables.get(name)
        if writes_no_wal(name, table):
            no_wal.append(name)
            continue
        user_changes += ops.changes
        width = widths.get(name)
        if table is None or width is None:
            if ops.upd or ops.dele:
                missing.append(name)
            continue
        identity = identities.get(name, table.replica_identity)
        same_page = (same_page_updates or {}).get(name) or ops.same_page_updates()
        prediction.add(
            "same_page_updates",
            _per_op(same_page, _apply(wb.same_page_update, width.tuple_bytes)),
            name,
        )
        _identity_terms(prediction, name, table, identity, width, ops.upd, ops.dele)
        if fpi_share is not None:
            imaged = (ops.ins + ops.cross_page_updates()) * fpi_share
            prediction.add(
                "imaged_tuples",
                _per_op(Range(0.0, 0.0, imaged), _apply(wb.imaged_tuple, width.tuple_bytes)),
                name,
            )
    commits = commits_in_window(facts, user_changes + catalog_tuples)
    if commits is not None:
        count, commit_inputs = commits
        prediction.add("commits", count.scale(wb.COMMIT_EXTRA))
        prediction.inputs.update(commit_inputs)
    else:
        prediction.assumptions.append("xact_commit was not sampled: the 8 B per commit is left out")
    if catalog_tuples:
        prediction.add("catalog_new_cid", Range.exact(catalog_tuples * wb.NEW_CID_EXTRA))
        inval = wb.invalidations(
            catalog_tuples * INVAL_MESSAGES_PER_CATALOG_TUPLE,
            catalog_tuples * INVAL_RECORDS_PER_CATALOG_TUPLE,
        )
        prediction.add("catalog_invalidations", Range(0.0, inval, 2 * inval))
    prediction.inputs.update(
        {
            "sampling.table_deltas": len(sampling.table_deltas),
            "catalog tuples changed": catalog_tuples,
            "user rows changed": user_changes,
            "fpi share (pg_stat_wal wal_fpi / wal_records)": fpi_share,
        }
    )
    prediction.assumptions.extend(
        [
            "same-page updates = n_tup_hot_upd (+ non-HOT updates at the high end unless "
            "n_tup_newpage_upd is collected); each logs its whole new tuple (t_len - 27 B more)",
            "deletes under a key identity log the key (6 B + key width); FULL logs the flattened "
            "old row on every UPDATE and DELETE (flat width - 18 B)",
            "8 B per write transaction: xact_commit capped by the rows changed; low end half",
            "catalog rows (pg_catalog counters): 64 B NEW_CID each; invalidations estimated at "
            f"{INVAL_MESSAGES_PER_CATALOG_TUPLE:g} messages and "
            f"{INVAL_RECORDS_PER_CATALOG_TUPLE:g} records per catalog row (low 0, high 2x)",
            "row counters cover this database only; WAL of other databases is in the "
            "denominator without its overhead",
        ]
    )
    if fpi_share is not None:
        prediction.assumptions.append(
            "high end: inserts and cross-page updates into pages that got a full-page image "
            "keep their tuple (share of records with an image, from pg_stat_wal)"
        )
    if missing:
        prediction.assumptions.append(
            "no row width for " + ", ".join(missing) + ": their update/delete overhead is left out"
        )
    if no_wal:
        prediction.assumptions.append(
            "unlogged or temporary, no WAL and never captured, left out: " + ", ".join(no_wal)
        )
    return prediction


# --------------------------------------------------------------------------- Model B


def wal_insert_tuple_lengths(walinspect: WalInspect) -> dict[str, float]:
    """Average tuple length of rows inserted in the window, per relation, from INSERT records
    without an image (record length = 31 + t_len)."""
    totals: dict[str, tuple[int, int]] = {}
    for group in walinspect.groups:
        if group.relation is None or group.record_type not in INSERT_TYPES:
            continue
        if group.resource_manager != "Heap" or group.noimage_records == 0:
            continue
        n, size = totals.get(group.relation, (0, 0))
        totals[group.relation] = (n + group.noimage_records, size + group.noimage_bytes)
    return {rel: size / n - INSERT_RECORD_FIXED for rel, (n, size) in totals.items() if n}


def _update_group_extra(group: WalRecordGroup, tuple_len: Range) -> Range:
    """Logical-mode length of the group's records minus what replica mode wrote (aligned)."""

    def logical(t_len: float) -> float:
        per_record = wb.align(wb.update_record(t_len))
        return (
            group.records * per_record
            + wb.SECOND_BLOCK_LEN * group.two_block_records
            + wb.IMAGE_HEADER_LEN * group.block_images
            + group.fpi_bytes
            - group.aligned_bytes
        )

    return Range(logical(tuple_len.low), logical(tuple_len.expected), logical(tuple_len.high))


def _catalog_tuples(group: WalRecordGroup) -> int:
    """Catalog tuples a group touched: each gets an XLOG_HEAP2_NEW_CID (two per update)."""
    if group.record_type in INSERT_TYPES or group.record_type == "DELETE":
        return group.records
    if group.record_type in UPDATE_TYPES:
        return 2 * group.records
    if group.record_type.startswith("MULTI_INSERT"):
        return group.tuples
    return 0


def _user_heap_group(
    prediction: Prediction,
    group: WalRecordGroup,
    tables: Mapping[str, Table],
    widths: Mapping[str, RowWidths],
    identities: Mapping[str, ReplicaIdentity],
) -> str | None:
    """Add a user relation's Heap group; return its name when its row width is unknown."""
    rtype = group.record_type
    name = group.relation or f"(relfilenode {group.relfilenode} of another database)"
    table = tables.get(group.relation) if group.relation else None
    width = widths.get(group.relation) if group.relation else None
    tuple_len = width.tuple_bytes if width is not None else UNKNOWN_TUPLE
    identity = (
        identities.get(table.qualified_name, table.replica_identity) if table is not None else None
    )
    if rtype in UPDATE_TYPES:
        prediction.add("updates_whole_tuple", _update_group_extra(group, tuple_len), name)
        if table is not None and identity is not None and width is not None:
            _identity_terms(prediction, name, table, identity, width, group.records, 0)
        return name if width is None else None
    if rtype == "DELETE" and table is not None and identity is not None and width is not None:
        _identity_terms(prediction, name, table, identity, width, 0, group.records)
    elif rtype in INSERT_TYPES and group.records > group.noimage_records:
        own = (
            Range.exact(group.noimage_bytes / group.noimage_records - INSERT_RECORD_FIXED)
            if group.noimage_records
            else tuple_len
        )
        imaged = group.records - group.noimage_records
        prediction.add("imaged_tuples", _per_op(imaged, _apply(wb.imaged_tuple, own)), name)
    return None


def predict_walinspect(
    walinspect: WalInspect,
    tables: Mapping[str, Table],
    widths: Mapping[str, RowWidths],
    identities: Mapping[str, ReplicaIdentity],
) -> Prediction:
    """Model B over the inspected WAL range."""
    prediction = Prediction("pg_walinspect")
    unknown: set[str] = set()
    commits_plain = 0
    inval_messages = 0
    inval_records = 0
    catalog_tuples = 0
    for group in walinspect.groups:
        rmgr, rtype = group.resource_manager, group.record_type
        if rmgr == "Transaction" and rtype == "COMMIT":
            commits_plain += group.records - group.inval_records
            inval_messages += group.inval_messages
            inval_records += group.inval_records
            continue
        if rmgr not in ("Heap", "Heap2"):
            continue
        if group.catalog:
            catalog_tuples += _catalog_tuples(group)
        elif rmgr == "Heap":
            missing = _user_heap_group(prediction, group, tables, widths, identities)
            if missing is not None:
                unknown.add(missing)
    prediction.add("commits", Range.exact(commits_plain * wb.COMMIT_EXTRA))
    if catalog_tuples:
        prediction.add("catalog_new_cid", Range.exact(catalog_tuples * wb.NEW_CID_EXTRA))
    if inval_messages:
        expected_records = max(inval_records, inval_messages / INVAL_MESSAGES_PER_RECORD)
        prediction.add(
            "catalog_invalidations",
            Range(
                wb.invalidations(inval_messages, inval_records),
                wb.invalidations(inval_messages, expected_records),
                wb.invalidations(inval_messages, max(expected_records, inval_messages / 2)),
            ),
        )
    prediction.inputs.update(
        {
            "walinspect.start_lsn": walinspect.start_lsn,
            "walinspect.end_lsn": walinspect.end_lsn,
            "walinspect.lsn_bytes": walinspect.lsn_bytes,
            "walinspect.groups": len(walinspect.groups),
            "commits without invalidations": commits_plain,
            "invalidation messages": inval_messages,
            "catalog tuples touched": catalog_tuples,
        }
    )
    prediction.assumptions.extend(
        [
            "each UPDATE / HOT_UPDATE record of a user table re-sized to 65 + t_len - 23 B "
            "(+8 B second block, +5 B per image, full-page images unchanged) minus its replica "
            "bytes; INSERTs with an image keep their tuple",
            "deletes under a key identity log the key; FULL logs the flattened old row",
            "invalidations: one XACT_INVALIDATIONS record per catalog-changing command; the "
            f"count is not in replica WAL: expected {INVAL_MESSAGES_PER_RECORD:g} messages per "
            "record, low one record per transaction",
        ]
    )
    if walinspect.truncated:
        prediction.assumptions.append(
            "the window was longer than the inspection cap: its last "
            f"{walinspect.lsn_bytes} bytes were inspected"
        )
    if unknown:
        prediction.assumptions.append(
            "row width unknown for "
            + ", ".join(sorted(unknown))
            + f": tuple {UNKNOWN_TUPLE.low:g}-{UNKNOWN_TUPLE.high:g} B assumed"
        )
    return prediction
