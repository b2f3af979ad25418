"""CDC104: updates of TOASTed rows arrive with placeholders for the unchanged large values."""

from __future__ import annotations

from collections.abc import Iterator

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
from audit.facts import Facts, ReplicaIdentity
from audit.remedy import ChangeWindow, Fix, note, sql
from rules._partitions import leaves_of
from rules._stats import COUNTERS_OFF, counters_off
from rules._units import MIB, fmt_bytes, fmt_count


class Options(RuleOptions):
    min_toast_bytes: int = option(
        1 * MIB, unit=Unit.BYTES, ge=0, description="TOAST size from which a table is judged"
    )


@rule(
    code="CDC104",
    name="unchanged-toast-placeholders",
    severity=Severity.MEDIUM,
    requires=("tables",),
    profiles=("debezium", "generic"),
    options=Options,
)
def unchanged_toast_placeholders(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Updates of rows with TOASTed values arrive with placeholders for the unchanged values.

    ## What it checks
    Tables (leaf partitions under their parent) holding out-of-line TOAST data (at least 1 MiB,
    option `min_toast_bytes` under `[rules.CDC104]`) that see UPDATEs, and whose replica
    identity is not FULL. Debezium and generic profiles only: native subscribers keep the
    stored value themselves.

    ## Why it matters for CDC
    When an UPDATE leaves a TOASTed column unchanged, WAL carries no copy of it and pgoutput
    sends it as "unchanged TOAST" (`u`) without a value. Debezium then emits the placeholder
    `__debezium_unavailable_value` (`unavailable.value.placeholder`) for that column; a sink
    that upserts whole rows overwrites the real value with the placeholder. Consumers must
    merge such updates with the previous row, or the table must log complete old rows.

    ## How to fix
    Handle the placeholder downstream (for example Debezium's `ExtractNewRecordState` with a
    sink that skips unavailable values, or a merge on the key), or set `REPLICA IDENTITY FULL`
    on the table if the WAL cost is acceptable (see CDC102: FULL logs the whole old row,
    TOASTed values included, for every UPDATE and DELETE).

    ## References
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-toasted-values
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-unavailable-value-placeholder
    - https://www.postgresql.org/docs/current/storage-toast.html
    - https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
    """
    min_toast = ctx.options_for(Options).min_toast_bytes
    if counters_off(facts) and any((t.toast_bytes or 0) >= min_toast for t in facts.tables or []):
        raise NotEvaluated(COUNTERS_OFF)
    for subject, group in leaves_of(facts).items():
        hit = [
            t
            for t in group
            if t.replica_identity is not ReplicaIdentity.FULL
            and (t.toast_bytes or 0) >= min_toast
            and (t.n_tup_upd or 0) > 0
        ]
        if not hit:
            continue
        toast = sum(t.toast_bytes or 0 for t in hit)
        updates = sum(t.n_tup_upd or 0 for t in hit)
        yield Finding(
            subject=subject,
            message=(
                f"{subject} has {fmt_bytes(toast)} of TOAST data and {fmt_count(updates)} updates "
                "since statistics reset: unchanged TOASTed columns arrive as placeholders"
            ),
            evidence={
                "toast_bytes": toast,
                "n_tup_upd": updates,
                "tables": [t.qualified_name for t in hit],
                "replica_identity": sorted({t.replica_identity.value for t in hit}),
            },
            fix=Fix.of(
                note(
                    "merge updates with the previous row downstream (Debezium: the "
                    "unavailable.value.placeholder), or log complete old rows:",
                    ChangeWindow.COORDINATION,
                ),
                *(
                    sql(
                        f"ALTER TABLE {t.qualified_name} REPLICA IDENTITY FULL;",
                        ChangeWindow.COORDINATION,
                        table=t.qualified_name,
                    )
                    for t in hit
                ),
            ),
        )
