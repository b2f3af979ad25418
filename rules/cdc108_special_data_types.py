"""CDC108: columns of types the connector drops or changes on the way."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import Fix, Step, StepKind, note
from rules._partitions import leaves_of

# Extension types Debezium's PostgreSQL connector maps itself (its data type mappings).
DEBEZIUM_KNOWN_EXTENSION_TYPES = frozenset(
    {"geometry", "geography", "hstore", "citext", "ltree", "vector", "halfvec", "sparsevec"}
)

ADVICE = {
    "debezium": (
        "Debezium omits columns of types it does not know (composite and unmapped extension "
        "types) unless include.unknown.datatypes=true"
    ),
    "dms": (
        "AWS DMS maps NUMERIC without precision to NUMERIC(28,6) unless the source endpoint "
        "sets MapUnboundedNumericAsString=true"
    ),
}


def _flagged(profile: str, kinds: list[str], type_name: str) -> bool:
    base = type_name.rsplit(".", 1)[-1].removesuffix("[]").strip('"')
    if profile == "debezium":
        if "composite" in kinds:
            return True
        return "extension_type" in kinds and base not in DEBEZIUM_KNOWN_EXTENSION_TYPES
    return "numeric_unconstrained" in kinds


@rule(
    code="CDC108",
    name="special-data-types",
    severity=Severity.MEDIUM,
    requires=("tables",),
    profiles=("debezium", "dms"),
)
def special_data_types(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Columns of types the connector drops or changes on the way to the target.

    ## What it checks
    Column types (from the collector's `special_columns`) that the chosen connector is known
    to mishandle by default:

    - debezium: composite types, and extension types other than the ones the connector maps
      (PostGIS `geometry`/`geography`, `hstore`, `citext`, `ltree`, pgvector types): with the
      default `include.unknown.datatypes = false` the connector leaves such columns out of
      its events (Debezium PostgreSQL connector, data type mappings);
    - dms: `numeric` / `decimal` without precision and scale, which AWS DMS maps to
      NUMERIC(28,6) unless the endpoint setting `MapUnboundedNumericAsString` is on (AWS DMS,
      PostgreSQL source data types).

    One finding per table (partitions under their parent).

    ## Why it matters for CDC
    The pipeline runs, and the target is quietly wrong: a column that never arrives, or
    numbers rounded to six decimals. Nobody notices until a reconciliation, long after the
    snapshot.

    ## How to fix
    Debezium: set `include.unknown.datatypes=true` and decode the raw value downstream, or
    expose the value through a supported type. AWS DMS: set `MapUnboundedNumericAsString=true`
    on the source endpoint, or give the columns an explicit precision and scale.

    ## References
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-data-types
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-property-include-unknown-datatypes
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html
    - https://docs.aws.amazon.com/dms/latest/APIReference/API_PostgreSQLSettings.html
    """
    profile = ctx.profile.name
    tables = facts.tables or []
    if tables and all(t.special_columns is None for t in tables):
        raise NotEvaluated("column types were not collected")
    for subject, group in leaves_of(facts).items():
        columns: dict[str, str] = {}
        for table in group:
            for column in table.special_columns or []:
                if _flagged(profile, column.kinds, column.type):
                    columns.setdefault(column.name, column.type)
        if not columns:
            continue
        listed = ", ".join(f"{name} ({kind})" for name, kind in list(columns.items())[:5])
        yield Finding(
            subject=subject,
            message=f"{subject} has column(s) {listed}: {ADVICE[profile]}",
            evidence={"columns": columns, "profile": profile},
            fix=Fix.of(
                note("connector configuration: include.unknown.datatypes=true", profile=profile)
                if profile == "debezium"
                else Step(
                    kind=StepKind.AWS_CLI,
                    text="aws dms modify-endpoint --endpoint-arn '<source-endpoint-arn>' "
                    "--postgre-sql-settings MapUnboundedNumericAsString=true",
                    facts={"profile": profile},
                )
            ),
        )
