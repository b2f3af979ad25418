"""CDC110: the database stores large objects, which logical decoding does not capture."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note, sql
from rules._units import fmt_count


@rule(
    code="CDC110",
    name="large-objects",
    severity=Severity.MEDIUM,
    requires=("large_objects",),
)
def large_objects(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The database stores large objects, whose contents logical decoding does not capture.

    ## What it checks
    The number of large objects in `pg_largeobject_metadata` of the audited database.

    ## Why it matters for CDC
    Large objects live in the system catalog `pg_largeobject`, which no publication can
    include and logical decoding does not decode. The captured tables carry only the `oid`
    that points at each object, so the target receives references to data it never gets, and
    `lo_write` / `lo_unlink` produce no change event at all.

    ## How to fix
    Store the contents in `bytea` (or `text`) columns of captured tables, or copy the large
    objects with another tool (`pg_dump --large-objects`) and accept that their changes are not
    streamed.

    ## References
    - https://www.postgresql.org/docs/current/largeobjects.html
    - https://www.postgresql.org/docs/current/logical-replication-restrictions.html
    """
    count = facts.large_objects or 0
    if count <= 0:
        return
    yield Finding(
        subject="database:large-objects",
        message=f"the database holds {fmt_count(count)} large object(s): their contents never "
        "reach the change stream",
        evidence={"large_objects": count},
        fix=Fix.of(
            note(
                "per table with an oid column pointing at large objects, for example t.doc_oid:",
                ChangeWindow.COORDINATION,
            ),
            sql("ALTER TABLE t ADD COLUMN doc bytea;", ChangeWindow.COORDINATION),
            sql(
                "UPDATE t SET doc = lo_get(doc_oid) WHERE doc_oid IS NOT NULL;",
                ChangeWindow.COORDINATION,
            ),
            note("then switch the application to the bytea column", ChangeWindow.COORDINATION),
        ),
    )
