"""Whether a table's replica identity works, and the SQL that gives it one that does."""

from __future__ import annotations

from audit.facts import ReplicaIdentity, Table
from audit.remedy import ChangeWindow, Step, sql

COORDINATION = ChangeWindow.COORDINATION


def identity_problem(table: Table) -> str | None:
    """Why the table has no usable replica identity, or None when it has one."""
    match table.replica_identity:
        case ReplicaIdentity.DEFAULT:
            if table.has_primary_key:
                return None
            return "has no primary key (REPLICA IDENTITY DEFAULT)"
        case ReplicaIdentity.NOTHING:
            return "has REPLICA IDENTITY NOTHING"
        case ReplicaIdentity.INDEX if table.identity_index is None:
            return "has REPLICA IDENTITY USING INDEX on an index that no longer exists"
        case ReplicaIdentity.INDEX if table.identity_index_valid is False:
            return f"has REPLICA IDENTITY USING INDEX {table.identity_index}, which is invalid"
        case _:
            return None


def identity_fix(table: Table) -> list[Step]:
    """SQL that gives ``table`` a usable replica identity, best option first.

    Changing a table's replica identity or key takes a lock on it: application coordination.
    """
    name = table.qualified_name
    facts = {"table": name, "replica_identity": table.replica_identity.value}
    if table.has_primary_key:
        return [sql(f"ALTER TABLE {name} REPLICA IDENTITY DEFAULT;", COORDINATION, **facts)]
    candidates = [c for c in table.unique_candidates if c != table.identity_index]
    if candidates:
        return [
            sql(
                f"ALTER TABLE {name} REPLICA IDENTITY USING INDEX {candidates[0]};",
                COORDINATION,
                **facts,
                index=candidates[0],
            )
        ]
    return [
        sql(
            f"ALTER TABLE {name} ADD PRIMARY KEY (<key columns>);  -- preferred",
            COORDINATION,
            **facts,
        ),
        sql(
            f"ALTER TABLE {name} REPLICA IDENTITY FULL;  -- last resort: logs whole old rows",
            COORDINATION,
            **facts,
        ),
    ]
