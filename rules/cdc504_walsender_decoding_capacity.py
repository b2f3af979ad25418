"""CDC504: the WAL rate is near what one walsender can decode."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, RuleOptions, Severity, Unit, option, rule
from audit.facts import Facts
from audit.remedy import Fix, note
from audit.units import fmt_rate
from rules._estimates import estimates_for, require_estimate, require_value


class Options(RuleOptions):
    max_decoding_utilisation: float = option(
        0.7,
        unit=Unit.RATIO,
        ge=0,
        le=10,
        description="logical WAL rate over one walsender's decoding rate that fails",
    )


@rule(
    code="CDC504",
    name="walsender-decoding-capacity",
    severity=Severity.MEDIUM,
    requires=("sampling",),
    options=Options,
)
def walsender_decoding_capacity(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The WAL rate is near what one walsender can decode.

    ## What it checks
    The capacity estimate `decoding.utilisation`: the logical WAL rate divided by the rate at
    which one walsender decodes WAL: `walsender_decode_bytes_per_s` under `[estimates]`, else
    the rate the opt-in decoding probe measured on this server (`--probe-decoding`), else a
    lab default (bench/change_stream_bench.py: `pg_recvlogical` catching up a backlog). It
    fails when the expected
    utilisation is above the option `max_decoding_utilisation` (default 0.7), and reports high
    severity above 1.

    ## Why it matters for CDC
    A logical walsender is one process on one core. It reads and decodes every WAL record of
    the whole server, whatever tables its publication selects. When WAL arrives faster than it
    decodes, the slot's lag grows without bound, WAL piles up, and latency grows until the
    slot is invalidated or the disk fills. More connectors do not help: each decodes all WAL.

    ## How to fix
    Measure the decode rate on the real server: run the audit with `--probe-decoding 60`
    (a temporary slot, dropped after; needs `wal_level=logical` and `REPLICATION`), or time a
    test slot with `pg_logical_slot_get_binary_changes` and pass the rate as
    `walsender_decode_bytes_per_s`. Lower
    the WAL rate (see CDC501: FULL identities, wide HOT-updated rows), keep
    `logical_decoding_work_mem` large enough to avoid spilling, and use streaming of large
    transactions (pgoutput `streaming = on`, PostgreSQL 14+).

    ## References
    - https://www.postgresql.org/docs/current/logicaldecoding-explanation.html
    - https://www.postgresql.org/docs/current/runtime-config-resource.html#GUC-LOGICAL-DECODING-WORK-MEM
    - https://www.enterprisedb.com/blog/performance-limits-logical-replication-solutions
    """
    estimates = estimates_for(facts, ctx)
    decoding = require_estimate(estimates.decoding, "decoding")
    why = "the logical WAL rate is unavailable"
    utilisation = require_value(decoding.utilisation, "decoding.utilisation", why)
    capacity = require_value(decoding.capacity_bytes_per_s, "decoding.capacity_bytes_per_s", why)
    logical = require_value(estimates.wal.logical_bytes_per_s.band, "wal.logical_bytes_per_s", why)
    limit = ctx.options_for(Options).max_decoding_utilisation
    expected = utilisation.expected
    if expected <= limit:
        return
    yield Finding(
        subject="walsender",
        message=(
            f"the logical WAL rate {fmt_rate(logical.expected)} is {expected:.0%} of "
            f"one walsender's decoding rate ({fmt_rate(capacity.expected)})"
        ),
        evidence={
            "utilisation": utilisation.as_dict(),
            "logical_bytes_per_s": logical.as_dict(),
            "walsender_decode_bytes_per_s": capacity.as_dict(),
            "max_decoding_utilisation": limit,
        },
        fix=Fix.of(
            note(
                "measure the real decode rate (--probe-decoding, or a test slot and the option "
                "walsender_decode_bytes_per_s); lower the WAL rate (see CDC501)"
            )
        ),
        severity=Severity.HIGH if expected > 1 else None,
    )
