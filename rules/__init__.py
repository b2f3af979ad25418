"""The rule pack: one module per rule, its metadata, documentation and check in one file.

A module is named ``cdcNNN_<name_with_underscores>.py`` and holds one :class:`audit.engine.Rule`
made by the ``@rule`` decorator; the registry finds it, nothing needs registering. Modules whose
name starts with an underscore hold what several rules share (units, SQL quoting, fix texts).

The hundreds digit of a code is its family:

- ``CDC0xx`` settings and server: ``wal_level``, slot and WAL sender headroom, unapplied
  settings, slot WAL limits, timeouts, version gates, decoding on a standby.
- ``CDC1xx`` tables and schema: replica identity, unlogged and partitioned tables, TOAST,
  data types, table statistics, SELECT privilege for the snapshot.
- ``CDC2xx`` slots and WAL retention: inactive, invalidated and lagging slots, xmin horizons,
  physical slots, spills.
- ``CDC3xx`` privileges, sessions and publications: REPLICATION, publication ownership,
  long-running and prepared transactions, connection headroom, heartbeats.
- ``CDC4xx`` AWS control plane and ``CDC5xx`` capacity belong to their own issues.
"""
