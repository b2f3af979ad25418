"""``cdc-preflight fleet``: audit many databases at once, one summary for all of them.

``config`` reads FLEET.toml, ``shard`` picks a machine's share, ``runner`` runs each target's
audit in a child process of its own, ``summary`` writes fleet.json and fleet.csv, ``page``
fleet.html, and ``command`` ties them together for the command line.
"""
