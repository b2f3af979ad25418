"""Connector profiles: thresholds that differ between Debezium, AWS DMS and native subscriptions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Thresholds for one kind of CDC consumer; each names its source in the rule docs."""

    name: str
    title: str
    slots_per_connector: int = 1
    planned_connectors: int = 1
    spare_slots: int = 1
    min_wal_sender_timeout_ms: int = 10_000
    uses_publication: bool = True
    # extra slots (and WAL senders) a connector holds while its initial copy runs: native
    # subscriptions sync tables with max_sync_workers_per_subscription (default 2) workers,
    # each with its own slot and walsender
    sync_slots_per_connector: int = 0
    # ordinary connections a connector opens for its initial snapshot or full load
    snapshot_connections: int = 1
    # the publication a connector uses unless configured otherwise (None: no default name)
    default_publication: str | None = None
    # the logical decoding output plugin it uses unless configured otherwise (None: unknown);
    # AWS DMS switches to pglogical when that extension is set up (CDC019)
    output_plugin: str | None = None


PROFILES: dict[str, Profile] = {
    "debezium": Profile(
        name="debezium",
        title="Debezium PostgreSQL connector (pgoutput)",
        snapshot_connections=2,
        default_publication="dbz_publication",
        output_plugin="pgoutput",
    ),
    "dms": Profile(
        name="dms",
        title="AWS DMS (PostgreSQL source, CDC)",
        snapshot_connections=9,
        output_plugin="test_decoding",
    ),
    "native": Profile(
        name="native",
        title="PostgreSQL native logical replication",
        sync_slots_per_connector=2,
        snapshot_connections=0,
        output_plugin="pgoutput",
    ),
    "generic": Profile(name="generic", title="Generic logical decoding consumer"),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}") from None
