"""CDC208: an active logical slot's consumer fell further behind during the sampling window."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.engine import (
    Finding,
    NotEvaluated,
    RuleContext,
    RuleOptions,
    Severity,
    Unit,
    option,
    rule,
)
from audit.facts import Facts, Sampling, Slot, WalSample
from audit.facts.lsn import Lsn
from audit.facts.models import SlotPosition
from audit.remedy import Fix, note, sql
from rules._sql import sql_literal
from rules._units import MIB, as_bytes, fmt_bytes, fmt_duration


class Options(RuleOptions):
    min_growth_bytes: int = option(
        64 * MIB, unit=Unit.BYTES, ge=0, description="lag growth over the window that fails"
    )
    min_growth_ratio: float = option(
        0.5,
        unit=Unit.RATIO,
        ge=0,
        le=1,
        description="lag growth as a share of the WAL written meanwhile that fails",
    )


@rule(
    code="CDC208",
    name="slot-lag-growing",
    severity=Severity.HIGH,
    requires=(),
    options=Options,
)
def slot_lag_growing(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """An active logical slot's consumer fell further behind during the sampling window.

    ## What it checks
    The slot positions the sampler reads at every sample (`restart_lsn`,
    `confirmed_flush_lsn`, `active` from `pg_replication_slots`, beside the current WAL
    position). For each logical slot in use, its lag is the WAL written since what its consumer
    last confirmed (current LSN - `confirmed_flush_lsn`; `restart_lsn` when nothing is
    confirmed). The slot fails when, from its first to its last sample in the window, the lag
    grew by both:

    - at least 64 MiB (option `min_growth_bytes` under `[rules.CDC208]`), and
    - at least half of the WAL written meanwhile (option `min_growth_ratio`, 0.5): the consumer
      confirmed less than half of what the server wrote.

    Judged are the logical slots that were active when the slots were read before the window,
    and slots created during the window that were active in at least one sample. Slots that
    were inactive are CDC201's (logical) and CDC204's (physical), so one slot is never reported
    by both; a slot dropped before the last sample holds nothing any more and passes. With no
    active logical slot the rule passes; it is not evaluated when the window has fewer than two
    samples with both the WAL position and the slot positions (sampling skipped, Aurora before
    logical replication is on, or a facts file from an older cdc-preflight).

    A consumer that confirms in batches shows a sawtooth, not growth, as long as the window is
    longer than its confirmation interval: Debezium confirms when Kafka Connect flushes its
    offsets (`offset.flush.interval.ms`, 60 s by default), so sample for longer than that
    (`--sample-seconds`).

    ## Why it matters for CDC
    A slot keeps every WAL segment its consumer has not confirmed. A consumer that confirms
    less than the server writes never catches up: change events arrive later and later, the
    WAL directory grows, and once the slot passes `max_slot_wal_keep_size` it is invalidated
    and the connector needs a new slot and a new snapshot (without a limit, the disk fills and
    the server stops). CDC202 reports a slot already close to that limit; this rule sees the
    trend while there is still time.

    ## How to fix
    Check the consumer first: the connector, DMS task or subscription status and logs, its sink
    (a Kafka cluster that throttles or rejects writes stalls Debezium), and the network. Its
    walsender in `pg_stat_replication` tells where the time goes: no row means the consumer
    is disconnected; `sent_lsn` far behind the current WAL position means decoding is the
    bottleneck (large transactions spilled to disk: raise `logical_decoding_work_mem`, see
    CDC206); `sent_lsn` current but `flush_lsn` behind means the consumer or its sink is slow.
    Meanwhile watch the runway: the WAL the slot retains against `max_slot_wal_keep_size` and
    the free disk (`safe_wal_size`, CDC503).

    ## References
    - https://www.postgresql.org/docs/current/view-pg-replication-slots.html
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-REPLICATION-VIEW
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-REPLICATION-SLOTS-VIEW
    - https://www.postgresql.org/docs/current/runtime-config-resource.html#GUC-LOGICAL-DECODING-WORK-MEM
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-monitoring
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-wal-disk-space
    """
    options = ctx.options_for(Options)
    min_growth = options.min_growth_bytes
    min_ratio = options.min_growth_ratio
    sampling = facts.sampling
    observed = [s for s in sampling.samples if s.slots is not None] if sampling else []
    if facts.slots is None and not observed:
        raise NotEvaluated(_reason(facts, "slots", "the replication slots were not collected"))
    judged = _judged_slots(facts.slots, observed)
    if not judged:
        return
    if sampling is None:
        raise NotEvaluated(_reason(facts, "sampling", "there was no sampling window"))
    usable = [s for s in observed if s.lsn is not None]
    if len(usable) < 2:
        raise NotEvaluated(_why_unusable(facts, sampling, observed))
    keep = _keep_size(facts)
    for name in judged:
        found = _growth(name, usable)
        if found is None or not found.is_growing(min_growth, min_ratio):
            continue
        slot = next((s for s in facts.slots or [] if s.slot_name == name), None)
        yield Finding(
            subject=f"slot:{name}",
            message=_message(name, found, keep),
            evidence=found.evidence(name, slot, keep, min_growth, min_ratio),
            fix=_fix(name),
        )


@dataclass(frozen=True)
class _Growth:
    """One slot's lag at its first and last usable sample of the window."""

    first: tuple[datetime, int, SlotPosition]
    last: tuple[datetime, int, SlotPosition]
    basis: str  # the slot column the lag counts from
    samples: int
    connected: int

    @property
    def seconds(self) -> float:
        return (self.last[0] - self.first[0]).total_seconds()

    @property
    def written(self) -> int:
        return self.last[1] - self.first[1]

    def lag(self, point: tuple[datetime, int, SlotPosition], basis: str | None = None) -> int:
        slot_lsn: Lsn | None = getattr(point[2], basis or self.basis)
        return max(point[1] - slot_lsn.position, 0) if slot_lsn else 0

    @property
    def growth(self) -> int:
        return self.lag(self.last) - self.lag(self.first)

    @property
    def per_second(self) -> float:
        return self.growth / self.seconds if self.seconds > 0 else 0.0

    def is_growing(self, min_growth: int, min_ratio: float) -> bool:
        return self.growth >= min_growth and self.growth >= min_ratio * self.written

    def seconds_to(self, keep: int | None) -> float | None:
        """At this growth rate, seconds until the WAL the slot retains reaches ``keep``."""
        if keep is None or keep <= 0 or self.per_second <= 0:
            return None
        return max(keep - self.lag(self.last, "restart_lsn"), 0) / self.per_second

    def evidence(
        self, name: str, slot: Slot | None, keep: int | None, min_growth: int, min_ratio: float
    ) -> dict[str, Any]:
        to_limit = self.seconds_to(keep)
        return {
            "slot_name": name,
            "plugin": slot.plugin if slot else None,
            "database": slot.database if slot else None,
            "active_before_window": slot.active if slot else None,
            "active_at_end": self.last[2].active,
            "samples": self.samples,
            "samples_connected": self.connected,
            "window_seconds": round(self.seconds, 1),
            "lag_basis": self.basis,
            "lag_start_bytes": self.lag(self.first),
            "lag_end_bytes": self.lag(self.last),
            "retained_start_bytes": self.lag(self.first, "restart_lsn"),
            "retained_end_bytes": self.lag(self.last, "restart_lsn"),
            "wal_written_bytes": self.written,
            "confirmed_bytes": self.written - self.growth,
            "growth_bytes": self.growth,
            "growth_bytes_per_second": round(self.per_second),
            "max_slot_wal_keep_size": keep,
            "seconds_to_max_slot_wal_keep_size": round(to_limit) if to_limit is not None else None,
            "min_growth_bytes": min_growth,
            "min_growth_ratio": min_ratio,
        }


def _judged_slots(catalogue: list[Slot] | None, observed: list[WalSample]) -> list[str]:
    """Logical slots in use: active when the slots were read before the window, or new in the
    window and active in a sample. Slots inactive before the window are CDC201's and CDC204's."""
    known = {s.slot_name: s for s in catalogue or []}
    names = [s.slot_name for s in known.values() if s.slot_type == "logical" and s.active]
    for sample in observed:
        for name, position in (sample.slots or {}).items():
            if (
                name not in known
                and name not in names
                and position.slot_type == "logical"
                and position.active
            ):
                names.append(name)
    return names


def _growth(name: str, usable: list[WalSample]) -> _Growth | None:
    """The slot's lag over the samples that saw it; None when it was dropped before the last
    sample, or seen fewer than twice."""
    if name not in (usable[-1].slots or {}):
        return None
    points = [
        (s.at, s.lsn.position, s.slots[name])
        for s in usable
        if s.lsn is not None and s.slots is not None and name in s.slots
    ]
    if len(points) < 2:
        return None
    first, last = points[0], points[-1]
    if first[2].confirmed_flush_lsn and last[2].confirmed_flush_lsn:
        basis = "confirmed_flush_lsn"
    elif first[2].restart_lsn and last[2].restart_lsn:
        basis = "restart_lsn"
    else:
        return None  # invalidated or being created: CDC201 and CDC202 say what matters
    connected = sum(1 for p in points if p[2].active)
    return _Growth(first, last, basis, len(points), connected)


def _message(name: str, found: _Growth, keep: int | None) -> str:
    message = (
        f"slot {name} fell {fmt_bytes(found.growth)} further behind in "
        f"{fmt_duration(found.seconds)} ({fmt_bytes(found.per_second)}/s): its consumer "
        f"confirmed {fmt_bytes(max(found.written - found.growth, 0))} of the "
        f"{fmt_bytes(found.written)} of WAL written"
    )
    if not found.last[2].active:
        message += ", and was disconnected at the end of the window"
    to_limit = found.seconds_to(keep)
    if to_limit is not None and keep is not None:
        message += (
            f"; at this rate it reaches max_slot_wal_keep_size ({fmt_bytes(keep)}) in "
            f"{fmt_duration(to_limit)}"
        )
    return message


def _fix(name: str) -> Fix:
    slot = sql_literal(name)
    return Fix.of(
        note(
            f"slot {name}: check its consumer (connector / DMS task / subscription status and "
            "logs, its sink, the network); its walsender:",
            slot_name=name,
        ),
        sql(
            "SELECT pid, application_name, client_addr, state, sent_lsn, write_lsn, flush_lsn,\n"
            "       pg_current_wal_lsn() AS current_lsn, write_lag, flush_lag, reply_time\n"
            "  FROM pg_stat_replication\n"
            f" WHERE pid = (SELECT active_pid FROM pg_replication_slots WHERE slot_name = {slot});",
            slot_name=name,
        ),
        note(
            "decoding spilled to disk (14+): raise logical_decoding_work_mem if spill_bytes grows"
        ),
        sql(
            "SELECT spill_txns, spill_bytes, stream_bytes, total_bytes\n"
            f"  FROM pg_stat_replication_slots WHERE slot_name = {slot};",
            slot_name=name,
        ),
        note("the runway: WAL the slot retains, and what it may still retain"),
        sql(
            "SELECT wal_status, pg_size_pretty(safe_wal_size) AS safe_wal_size,\n"
            "       pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn))"
            " AS retained\n"
            f"  FROM pg_replication_slots WHERE slot_name = {slot};",
            slot_name=name,
        ),
    )


def _keep_size(facts: Facts) -> int | None:
    setting = facts.setting("max_slot_wal_keep_size")
    if setting is None:
        return None
    try:
        return as_bytes(setting)
    except NotEvaluated:
        return None


def _why_unusable(facts: Facts, sampling: Sampling, observed: list[WalSample]) -> str:
    if not any(s.lsn for s in sampling.samples):
        return _reason(facts, "sampling.lsn", "the WAL position was not sampled")
    if not observed:
        if facts.issue_for("sampling.slots") is None:
            return "slot positions were not sampled (a facts file from an older cdc-preflight)"
        return _reason(facts, "sampling.slots", "slot positions were not sampled")
    return "fewer than 2 samples hold both the WAL position and the slot positions"


def _reason(facts: Facts, family: str, default: str) -> str:
    issue = facts.issue_for(family)
    return f"{default}: {issue.reason}" if issue else default
