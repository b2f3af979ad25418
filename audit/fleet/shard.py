"""``--shard I/N``: a deterministic share of a fleet's targets, so N machines split it.

A target belongs to shard ``I`` when the SHA-256 of its name, read as a number, leaves ``I``
modulo ``N``. Shards are numbered from 0 (Kubernetes' ``JOB_COMPLETION_INDEX`` is 0-based),
every target is in exactly one shard, and a target stays in its shard when others are added,
removed or reordered in the file. Shares are even on average, not exactly.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_SHARDS = 10_000


class ShardError(ValueError):
    """--shard cannot mean what was typed: a usage error."""


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, name: str) -> bool:
        digest = hashlib.sha256(name.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index


def parse_shard(text: str) -> Shard:
    match = _SHARD.match(text)
    if match is None:
        raise ShardError(f"--shard {text!r}: expected I/N, e.g. 0/4 (I counts from 0)")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise ShardError(f"--shard {text}: N must be 1 to {MAX_SHARDS}")
    if index >= count:
        raise ShardError(f"--shard {text}: I counts from 0 to N-1 ({count - 1})")
    return Shard(index, count)
