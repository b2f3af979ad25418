"""--shard I/N splits a fleet into N disjoint shares that cover it, by name, not by position."""

from __future__ import annotations

import random

import pytest

from audit.fleet.shard import Shard, ShardError, parse_shard

NAMES = [f"db-{i:03d}" for i in range(300)] + ["orders", "billing", "<weird name>", "ünïcode"]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_shards_partition_the_targets(count: int) -> None:
    shares = [{n for n in NAMES if Shard(i, count).holds(n)} for i in range(count)]
    assert sum(len(s) for s in shares) == len(NAMES)  # no name in two shards
    assert set().union(*shares) == set(NAMES)  # every name in one
    if count > 1:
        # a hash, not a cut of the list: every shard gets a fair share of 304 names
        assert min(len(s) for s in shares) > len(NAMES) / count / 2


def test_a_target_keeps_its_shard_when_the_file_changes() -> None:
    shard = Shard(1, 4)
    before = {n for n in NAMES if shard.holds(n)}
    shuffled = NAMES[50:] + [f"new-{i}" for i in range(40)]
    random.Random(7).shuffle(shuffled)
    after = {n for n in shuffled if shard.holds(n)}
    assert after & set(NAMES) == before & set(NAMES[50:])


def test_shard_membership_is_a_fixed_function_of_the_name() -> None:
    """Pinned: a change of hash would silently move targets between machines (and their
    folders' history between shards' fleet.json files)."""
    names = ("orders", "billing", "db-000", "db-001", "db-002", "db-003")
    shares = [[n for n in names if Shard(i, 3).holds(n)] for i in range(3)]
    assert shares == [["db-000", "db-001"], ["orders", "billing", "db-002", "db-003"], []]
    assert parse_shard("0/1").holds("anything")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1", "expected I/N, e.g. 0/4 (I counts from 0)"),
        ("a/b", "expected I/N"),
        ("4/4", "I counts from 0 to N-1 (3)"),
        ("0/0", "N must be 1 to"),
        ("-1/4", "expected I/N"),
    ],
)
def test_bad_shards_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(ShardError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_shard(text)


def test_parse_accepts_spaces() -> None:
    assert parse_shard(" 2 / 5 ") == Shard(2, 5)
