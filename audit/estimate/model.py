"""The typed capacity estimates: one model per figure, and :class:`Estimates` holding them all.

Every figure carries ``status`` (``ok``, or ``unavailable`` with a ``reason``), ``method``,
``inputs`` and ``assumptions`` beside its numbers; the numbers of an unavailable figure are
``None``, never made up. Rules and the report read these by attribute, so a renamed field is a
type error, not a figure that silently reads "unavailable". ``Estimates.model_dump()`` is the
``estimates`` section of report.json (floats rounded to six significant digits, an unbounded
end of a range written as ``null``); ``Estimates.model_validate`` reads it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from audit.estimate.result import Range, plain

ESTIMATES_VERSION = 2


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Estimate(_Model):
    """What every figure says beside its numbers."""

    status: Literal["ok", "unavailable"] = "ok"
    reason: str | None = Field(default=None, description="why the figure is unavailable")
    method: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    assumptions: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def unavailable(
        cls, reason: str, method: str | None = None, inputs: dict[str, Any] | None = None
    ) -> Self:
        """The figure could not be computed, and why: never a made-up number."""
        return cls(status="unavailable", reason=reason, method=method, inputs=dict(inputs or {}))


# -- WAL ---------------------------------------------------------------------------------------


class WalRate(Estimate):
    """``wal.current_bytes_per_s``: the WAL rate now, bytes per second."""

    p50: float | None = None
    p95: float | None = None
    max: float | None = None
    mean: float | None = Field(default=None, description="mean of the interval rates")
    window_mean: float | None = Field(
        default=None, description="bytes over the whole window / its seconds"
    )
    long_term: float | None = Field(
        default=None,
        description="WAL bytes per second over the long span estimates.window compared the "
        "window with (pg_stat_wal since its reset); the CloudWatch method: its series' mean; "
        "null when no span was long enough to be a long-term rate",
    )
    samples: int | None = None
    intervals: int | None = None
    range: Range | None = Field(
        default=None, description="row_changes method only: the rate's uncertainty"
    )


class Ratio(Estimate):
    """``wal.logical_overhead_ratio``: extra WAL under logical / WAL measured, low-high."""

    low: float | None = None
    expected: float | None = None
    high: float | None = None

    @property
    def band(self) -> Range | None:
        if self.low is None or self.expected is None or self.high is None:
            return None
        return Range(self.low, self.expected, self.high)


class LogicalRate(Ratio):
    """``wal.logical_bytes_per_s``: WAL bytes per second under ``wal_level=logical``.

    ``low``-``high`` is the envelope the capacity rules plan for: the window's workload spread
    and the predictor's uncertainty together. ``p50``-``p95`` is the spread alone (the
    window's percentiles with the expected overhead) and ``model`` the uncertainty alone (the
    window's mean with the low and high overhead); the report shows the two apart.
    """

    p50: float | None = None
    p95: float | None = None
    model: Range | None = Field(
        default=None, description="the window mean with the predictor's low-high overhead"
    )
    components: dict[str, Range] = Field(
        default_factory=dict, description="extra WAL bytes per second by cause"
    )


class IdentityChange(_Model):
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True
    )

    table: str
    from_identity: str = Field(alias="from")
    to: str


class RecommendedIdentities(Estimate):
    """``wal.recommended_identities``: the WAL under logical with the recommended identities."""

    changes: list[IdentityChange] = Field(default_factory=list)
    logical_overhead_ratio: Range | None = None
    logical_bytes_per_s: Range | None = None
    p50: float | None = None
    p95: float | None = None
    model: Range | None = None
    components: dict[str, Range] = Field(default_factory=dict)


class RowWidths(_Model):
    """Bytes per row of one table: ``tuple_bytes`` (on-page tuple, TOASTed values as
    pointers), ``flat_bytes`` (TOASTed values inline), ``key_bytes`` (the replica key)."""

    tuple_bytes: Range
    flat_bytes: Range
    key_bytes: Range
    sources: dict[str, str]
    text_bytes: Range | None = Field(
        default=None, description="the row in text form, values expanded (read probe)"
    )
    key_text_bytes: Range | None = Field(
        default=None, description="the key in text form (read probe)"
    )


class WalTable(_Model):
    """One table's extra WAL under logical (logged tables only: unlogged ones write none)."""

    table: str
    replica_identity: str | None = None
    recommended_identity: str | None = None
    extra_bytes_per_s: Range | None = None
    extra_bytes_per_s_recommended: Range | None = None
    extra_bytes_in_window: Range
    ops_per_s: dict[str, float] | None = None
    widths: RowWidths | None = None


class CrossCheck(_Model):
    logical_overhead_ratio: Range


class WalEstimates(_Model):
    current_bytes_per_s: WalRate
    predictor: str
    logical_overhead_ratio: Ratio
    logical_bytes_per_s: LogicalRate
    recommended_identities: RecommendedIdentities
    per_table: list[WalTable] = Field(default_factory=list)
    statistics_cross_check: CrossCheck | None = None


# -- change stream, decoding -------------------------------------------------------------------


class ChangeTable(_Model):
    table: str
    events_per_s: float
    bytes_per_s: Range | None = None


class ChangeStream(Estimate):
    """``change_stream``: the change events and pgoutput bytes the consumer receives."""

    events_per_s: float | None = None
    bytes_per_s: Range | None = None
    per_table: list[ChangeTable] = Field(default_factory=list)
    excluded: list[str] = Field(
        default_factory=list,
        description="tables whose rows changed but never reach CDC (unlogged, temporary)",
    )


class Decoding(Estimate):
    """``decoding``: the share of one walsender's decoding rate the logical WAL needs."""

    utilisation: Range | None = None
    capacity_bytes_per_s: Range | None = None


# -- snapshot, runway --------------------------------------------------------------------------


class SnapshotTable(_Model):
    table: str
    rows: float
    heap_toast_bytes: float = Field(
        description="bytes the snapshot reads: heap + TOAST, without indexes"
    )
    seconds: Range


class SnapshotAlternative(_Model):
    seconds: Range


class Snapshot(Estimate):
    """``snapshot``: the initial copy, the WAL its slot holds and the catch-up after it."""

    mode: str | None = None
    tables: int | None = Field(default=None, description="tables copied")
    heap_toast_bytes: float | None = Field(
        default=None, description="bytes copied: heap + TOAST of those tables, no indexes"
    )
    workers: int | None = None
    seconds: Range | None = None
    per_table: list[SnapshotTable] = Field(default_factory=list)
    catch_up_seconds: Range | None = None
    hold_seconds: Range | None = None
    retained_wal_bytes: Range | None = None
    alternatives: dict[str, SnapshotAlternative] = Field(default_factory=dict)


class RunwayLimit(Estimate):
    hours: Range | None = None
    limit_bytes: float | None = None


class Runway(Estimate):
    """``runway``: hours until a stalled slot is invalidated or the disk is full."""

    hours: Range | None = None
    limit: str | None = Field(default=None, description="the limit reached first")
    limits: dict[str, RunwayLimit] = Field(default_factory=dict)


# -- recommendations ---------------------------------------------------------------------------


class ConnectorSetting(Estimate):
    """A connector-side setting (not a server parameter): chunk size, heartbeat interval."""

    setting: str | None = None
    value: int | None = None
    default: int | None = None
    interval_seconds: int | None = None


class SettingRecommendation(Estimate):
    """The one value the audit recommends for a server parameter, in every form it is set in."""

    name: str
    current: str | None = Field(default=None, description="running value (pg_settings)")
    unit: str | None = Field(default=None, description="pg_settings unit of current")
    staged: str | None = Field(
        default=None, description="changed but not applied (pending restart or reload)"
    )
    staged_source: str | None = None
    aws_configured: str | None = Field(
        default=None, description="parameter-group value not yet applied (RDS/Aurora)"
    )
    recommended: str | None = Field(
        default=None, description="as ALTER SYSTEM / postgresql.conf takes it ('5GB', 12)"
    )
    recommended_bytes: int | None = Field(default=None, description="size settings: in bytes")
    parameter_group_name: str | None = Field(
        default=None, description="the parameter that stands for it in an RDS/Aurora group"
    )
    parameter_group_value: str | None = Field(
        default=None, description="in the parameter's base unit (MB, ms), as groups take it"
    )
    needed: str | None = Field(
        default=None, description="the least value CDC needs, where a floor applies"
    )
    restart: bool = Field(description="takes effect only after a server restart / reboot")
    change_needed: bool | None = Field(
        default=None, description="the running value does not meet the recommendation"
    )
    why: str = ""


class ConnectorPlan(_Model):
    """The connectors the audit plans for: every headroom figure and rule counts from it."""

    planned_connectors: int = Field(description="connectors that will be started")
    slots_per_connector: int = Field(
        description="slots (and WAL senders) one connector holds, its table-sync workers' too"
    )
    spare: int = Field(description="free slots and senders kept beyond them")
    snapshot_connections: int = Field(
        description="ordinary connections one connector opens for its snapshot or full load"
    )
    source: str = Field(description="where the numbers come from (profile, [estimates])")

    @property
    def new_slots(self) -> int:
        """Slots (and senders) the planned connectors take."""
        return self.planned_connectors * self.slots_per_connector

    def arithmetic(self, unit: str = "slot") -> str:
        """``2 connector(s) x 1 slot(s) + 1 spare``, for messages."""
        return (
            f"{self.planned_connectors} connector(s) x {self.slots_per_connector} {unit}(s) "
            f"+ {self.spare} spare"
        )


class Recommendations(_Model):
    plan: ConnectorPlan
    incremental_snapshot_chunk_size: ConnectorSetting
    heartbeat: ConnectorSetting
    settings: list[SettingRecommendation] = Field(default_factory=list)

    def setting(self, name: str) -> SettingRecommendation | None:
        """The recommendation for server parameter ``name``, when the audit makes one."""
        return next((s for s in self.settings if s.name == name), None)


# -- all of them -------------------------------------------------------------------------------


# -- the sampling window -----------------------------------------------------------------------

Basis = Literal["representative", "quiet", "busy", "spiky", "unknown"]


class LongTermSignal(_Model):
    """One long-term rate, the window's rate of the same quantity, and their ratio."""

    signal: str = Field(description="what was counted, and where")
    unit: str = Field(description="unit of the rates: bytes/s, commits/s, rows/s")
    since: str | None = Field(default=None, description="start of the long-term span (ISO 8601)")
    span_seconds: float | None = None
    long_term_per_s: float | None = None
    window_per_s: float | None = None
    ratio: float | None = Field(default=None, description="window / long term")
    compared: bool = False
    reason: str | None = Field(default=None, description="why the signal was not compared")


class WindowComparison(Estimate):
    """``window``: is the sampling window representative of the server's load?"""

    basis: Basis = "unknown"
    window_seconds: float | None = None
    ratio: float | None = Field(
        default=None, description="window / long-term rate of the signal that decides"
    )
    deciding_signal: str | None = None
    spread: float | None = Field(default=None, description="p95 / p50 of the window's intervals")
    signals: list[LongTermSignal] = Field(default_factory=list)


class Estimates(_Model):
    """The ``estimates`` section of report.json (see docs/capacity.md)."""

    version: int = ESTIMATES_VERSION
    profile: str
    wal: WalEstimates
    change_stream: ChangeStream
    decoding: Decoding
    snapshot: Snapshot
    runway: Runway
    recommendations: Recommendations
    window: WindowComparison | None = Field(
        default=None, description="the sampling window against the long-term rates"
    )

    @model_serializer(mode="wrap")
    def _json_ready(self, handler: Callable[[Any], Any]) -> Any:
        """Floats to six significant digits; infinity as ``null``."""
        return plain(handler(self))
