"""The ``[estimates]`` table of the configuration: typed overrides of the capacity model.

Every key is declared here with its unit and bounds; an unknown key or a value of the wrong
type is a configuration error, never a silently ignored line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    model_validator,
)


class RowWidthOverride(BaseModel):
    """Measured bytes per row of one table, replacing the width the model derives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tuple_bytes: PositiveFloat | None = Field(
        default=None, description="bytes of the heap tuple as WAL carries it"
    )
    flat_row_bytes: PositiveFloat | None = Field(
        default=None, description="bytes of the whole row, TOASTed values inline"
    )
    key_bytes: PositiveFloat | None = Field(default=None, description="bytes of the replica key")


class MeasuredSnapshot(BaseModel):
    """A snapshot the user's own consumer ran before: rescales its per-worker rate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seconds: PositiveFloat = Field(description="how long the whole snapshot (initial copy) took")
    bytes: PositiveFloat | None = Field(
        default=None, description="heap + TOAST bytes of the tables it copied"
    )
    rows: PositiveFloat | None = Field(default=None, description="rows it copied")
    workers: PositiveInt | None = Field(
        default=None,
        le=64,
        description="workers it ran with (default: the workers of this estimate)",
    )
    tables: PositiveInt | None = Field(
        default=None, description="tables it copied (fewer tables than workers idle the rest)"
    )

    @model_validator(mode="after")
    def _amount(self) -> MeasuredSnapshot:
        if self.bytes is None and self.rows is None:
            raise ValueError("measured_snapshot needs bytes or rows (what the run copied)")
        return self


class EstimateOptions(BaseModel):
    """Overrides of the capacity model's inputs (``[estimates]`` in the configuration)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    free_disk_bytes: PositiveInt | None = Field(
        default=None, description="free space of the WAL volume, bytes (when not collected)"
    )
    consumer_rows_per_s: PositiveFloat | None = Field(
        default=None, description="rows per second one snapshot worker of the consumer copies"
    )
    consumer_bytes_per_s: PositiveFloat | None = Field(
        default=None, description="bytes per second one snapshot worker of the consumer copies"
    )
    consumer_events_per_s: PositiveFloat | None = Field(
        default=None, description="change events per second the consumer applies"
    )
    walsender_decode_bytes_per_s: PositiveFloat | None = Field(
        default=None, description="WAL bytes per second one walsender decodes"
    )
    snapshot_mode: Literal["initial", "incremental"] | None = Field(
        default=None, description="Debezium: initial (blocking) or incremental snapshot"
    )
    snapshot_threads: PositiveInt | None = Field(
        default=None, le=64, description="Debezium snapshot.max.threads"
    )
    dms_parallel_tables: PositiveInt | None = Field(
        default=None, le=49, description="AWS DMS MaxFullLoadSubTasks"
    )
    native_sync_workers: PositiveInt | None = Field(
        default=None, le=64, description="max_sync_workers_per_subscription"
    )
    native_sync_cpus: PositiveFloat | None = Field(
        default=None,
        le=1024,
        description="CPU cores the subscriber can give table sync; default: one per sync worker",
    )
    native_sync_shared_host: bool = Field(
        default=False,
        description="publisher and subscriber share those cores (one host for both)",
    )
    measured_snapshot: MeasuredSnapshot | None = Field(
        default=None,
        description="a previous snapshot of the same consumer, to rescale its per-worker rate",
    )
    incremental_chunk_rows: PositiveInt | None = Field(
        default=None, le=1_000_000, description="Debezium incremental.snapshot.chunk.size"
    )
    planned_connectors: NonNegativeInt | None = Field(
        default=None,
        le=100,
        description="connectors (slots) the capacity plan adds; default: the profile's (1)",
    )
    spare_slots: NonNegativeInt | None = Field(
        default=None,
        le=100,
        description="slots and WAL senders kept free beyond the plan; default: the profile's (1)",
    )
    window_min_span_hours: PositiveFloat = Field(
        default=24.0,
        le=24 * 366,
        description="shortest statistics span taken as a long-term rate to judge the window by",
    )
    window_quiet_ratio: PositiveFloat = Field(
        default=0.5, lt=1, description="window / long-term rate below which the window is quiet"
    )
    window_busy_ratio: PositiveFloat = Field(
        default=2.0, gt=1, description="window / long-term rate above which the window is busy"
    )
    window_spiky_ratio: PositiveFloat = Field(
        default=3.0, gt=1, description="p95 / p50 of the window's intervals above which it is spiky"
    )
    row_widths: dict[str, RowWidthOverride] = Field(
        default_factory=dict, description="measured row widths per table (schema.table)"
    )

    @model_validator(mode="after")
    def _shared_host_needs_cores(self) -> EstimateOptions:
        if self.native_sync_shared_host and self.native_sync_cpus is None:
            raise ValueError("native_sync_shared_host needs native_sync_cpus (the host's cores)")
        return self

    def overrides(self) -> dict[str, object]:
        """The keys the user set, for the report's "Parameters of this audit"."""
        return self.model_dump(exclude_defaults=True)
