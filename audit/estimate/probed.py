"""What the opt-in decoding probe measured, as rates the estimates can use.

The probe (``Facts.decoding_probe``) decoded the WAL of one span with a temporary slot. Two
figures come out of it:

- the change stream: row-change messages and, with pgoutput, protocol bytes per second of the
  span (``output_bytes / span``), where the model would otherwise compute them from row
  counters and widths;
- the decoding rate: WAL bytes decoded per second of the peek. The peek is the SQL path (no
  network, no client); a walsender streaming to a consumer also frames and sends every message,
  which bench/change_stream_bench.py measured at 0.04x to 0.33x of the SQL rate: the range is
  the measured rate x ``WALSENDER_SHARE``.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.estimate.result import Range
from audit.facts.capacity import DecodingProbe

# Too little WAL and the fixed costs (decoding context, snapshot at the slot's start) dominate.
MIN_DECODED_BYTES = 4 * 1024**2
# A span is one sample of the workload: the rate of another span differs (assumed +-25%).
SPAN_SPREAD = (0.8, 1.25)
# pg_recvlogical catching up over pgoutput vs pg_logical_slot_get_binary_changes on the same
# backlog (bench/change_stream_bench.py, docs/accuracy.md): the walsender path's share,
# measured 0.04-0.33 (median about 0.2) over two runs on PostgreSQL 15 and 18 on a shared
# 2-vCPU VM (two busy processes, walsender and client, against one for the SQL path).
WALSENDER_SHARE = Range(0.04, 0.2, 0.5)


@dataclass(frozen=True)
class ProbedStream:
    events_per_s: float
    bytes_per_s: Range | None  # None: test_decoding, whose text is not the pgoutput stream
    seconds: float
    description: str


def usable(probe: DecodingProbe | None) -> DecodingProbe | None:
    if probe is None or probe.error is not None or probe.span_seconds <= 0:
        return None
    return probe


def probed_stream(probe: DecodingProbe | None) -> ProbedStream | None:
    """The span's change events (and pgoutput bytes) per second, or None."""
    probe = usable(probe)
    if probe is None or probe.decode_seconds is None:
        return None
    seconds = probe.span_seconds
    if probe.truncated and probe.wal_bytes and probe.decoded_wal_bytes:
        # only the head of the span was decoded: its share of the WAL is its share of the time
        seconds *= min(1.0, probe.decoded_wal_bytes / probe.wal_bytes)
    if seconds <= 0:
        return None
    size = None
    if probe.plugin == "pgoutput":
        size = Range.spread(probe.output_bytes / seconds, *SPAN_SPREAD)
    where = f"publication {probe.publication}" if probe.publication else "every table"
    description = (
        f"measured by the decoding probe: {probe.plugin}, {where}, {probe.events} row changes "
        f"in {seconds:.1f} s of WAL"
    )
    return ProbedStream(probe.events / seconds, size, seconds, description)


def probed_decode_rate(probe: DecodingProbe | None) -> tuple[Range, str] | None:
    """One walsender's decoding rate from the probe's timed peek, or None when unusable."""
    probe = usable(probe)
    if probe is None or not probe.decode_seconds or not probe.decoded_wal_bytes:
        return None
    if probe.decoded_wal_bytes < MIN_DECODED_BYTES:
        return None
    measured = probe.decoded_wal_bytes / probe.decode_seconds
    return WALSENDER_SHARE.scale(measured), (
        f"measured by the decoding probe: {probe.decoded_wal_bytes / 1024**2:.1f} MiB of WAL "
        f"decoded in {probe.decode_seconds:.2f} s ({measured / 1024**2:.0f} MiB/s on the SQL "
        f"path), x {WALSENDER_SHARE.low}-{WALSENDER_SHARE.high} for the walsender path"
    )
