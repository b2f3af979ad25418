"""CDC017: the audited database is not UTF-8, which some consumers cannot read."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, NotEvaluated, RuleContext, Severity, rule
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, note
from rules._sql import quote_ident

UTF8 = "UTF8"
# No conversion, no validation: the bytes are whatever clients sent.
SQL_ASCII = "SQL_ASCII"
# Consumers documented to read UTF-8 databases only.
UTF8_ONLY_PROFILES = {"debezium": Severity.HIGH, "generic": Severity.MEDIUM}


@rule(
    code="CDC017",
    name="database-encoding-not-utf8",
    severity=Severity.HIGH,
    requires=("server", "databases"),
)
def database_encoding_not_utf8(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The audited database's encoding is not UTF-8.

    ## What it checks
    The character set of the audited database (`pg_database.encoding`):

    - `SQL_ASCII` is reported for every profile (high): the server stores bytes without
      checking or converting them, so nothing guarantees that a consumer can read them;
    - any other encoding but `UTF8` (`LATIN1`, `WIN1252`, `EUC_JP`...) is reported for the
      debezium profile (high: Debezium supports UTF-8 databases only) and the generic
      profile (medium: Fivetran and most JSON-emitting consumers request UTF-8 and rely on
      the server to convert). AWS DMS and native subscriptions convert through
      `client_encoding`, so the dms and native profiles only report `SQL_ASCII`.

    ## Why it matters for CDC
    Logical decoding emits text in the database's encoding. Debezium reads the stream as
    UTF-8: with a single-byte encoding, characters outside ASCII arrive garbled or fail to
    decode. Consumers that ask the server to convert to UTF-8 stop with "character with byte
    sequence ... has no equivalent in encoding UTF8" on the first value that cannot be
    converted (WIN1252's undefined bytes, EUC_JP vendor characters). With `SQL_ASCII` the
    bytes were never validated: one row in another encoding breaks the whole stream.

    ## How to fix
    The encoding of a database cannot be changed in place. Migrate to a UTF-8 database
    (`CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0`, then dump and restore with
    `pg_dump --encoding=UTF8`, or native logical replication into it), cleaning up bytes that
    do not convert first. When that is not possible, choose a consumer that converts (DMS,
    a native subscription into a UTF-8 database) and test it with the real data.

    ## References
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html
    - https://fivetran.com/docs/connectors/databases/postgresql/troubleshooting/character-encoding-error
    - https://www.postgresql.org/docs/current/multibyte.html
    - https://www.postgresql.org/docs/current/app-pgdump.html
    """
    assert facts.server is not None
    name = facts.server.current_database
    database = next((d for d in facts.databases or [] if d.name == name), None)
    if database is None or database.encoding is None:
        raise NotEvaluated(f"the encoding of database {name} was not collected")
    encoding = database.encoding
    if encoding == UTF8:
        return
    if encoding == SQL_ASCII:
        severity = Severity.HIGH
        message = (
            f"database {name} is SQL_ASCII: its text is bytes the server never validated, "
            "which a consumer cannot be sure to decode"
        )
    elif ctx.profile.name in UTF8_ONLY_PROFILES:
        severity = UTF8_ONLY_PROFILES[ctx.profile.name]
        message = (
            f"database {name} is {encoding}, not UTF-8: the consumer reads UTF-8 only, so "
            "characters outside ASCII arrive garbled or stop the stream"
        )
    else:
        return
    yield Finding(
        subject=f"database:{name}",
        message=message,
        evidence={"database": name, "encoding": encoding, "profile": ctx.profile.name},
        fix=Fix.of(
            note(
                f"migrate to a UTF-8 database: CREATE DATABASE {quote_ident(name + '_utf8')} "
                "ENCODING 'UTF8' TEMPLATE template0, then pg_dump --encoding=UTF8 and restore "
                "(or replicate into it natively), after cleaning up bytes that do not convert",
                ChangeWindow.COORDINATION,
                database=name,
                encoding=encoding,
            )
        ),
        severity=severity,
    )
