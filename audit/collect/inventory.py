"""Objects logical decoding does not capture or that CDC tools care about: extensions, large
objects, sequences, event triggers, foreign tables and materialized views."""

from __future__ import annotations

from audit.collect.session import Session
from audit.facts.models import EventTrigger, Extension, OtherRelation, Sequence

# Available-but-not-installed extensions worth reporting: decoding plugins packaged as
# extensions, tools that compete for slots, and pg_walinspect (WAL measurement).
CDC_EXTENSIONS = (
    "decoderbufs",
    "pg_failover_slots",
    "pg_stat_statements",
    "pg_walinspect",
    "pglogical",
    "wal2json",
)


def read_extensions(session: Session) -> list[Extension]:
    return session.models("extensions", Extension, {"interesting": list(CDC_EXTENSIONS)})


# Output plugins that are shared libraries without an extension: only the file tells.
OUTPUT_PLUGIN_LIBRARIES = ("decoderbufs", "test_decoding", "wal2json")
PLUGIN_GRANT = (
    "superuser, or GRANT SELECT ON pg_config and GRANT EXECUTE ON FUNCTION "
    "pg_stat_file(text, boolean)"
)


def read_output_plugins(session: Session) -> dict[str, bool]:
    rows = session.rows("output_plugins", {"plugins": list(OUTPUT_PLUGIN_LIBRARIES)})
    return {row["name"]: bool(row["present"]) for row in rows}


def read_large_objects(session: Session) -> int:
    count: int = session.row("large_objects")["large_objects"]
    return count


def read_sequences(session: Session) -> list[Sequence]:
    return session.models("sequences", Sequence)


def read_event_triggers(session: Session) -> list[EventTrigger]:
    return session.models("event_triggers", EventTrigger)


def read_other_relations(session: Session) -> list[OtherRelation]:
    return session.models("other_relations", OtherRelation)
