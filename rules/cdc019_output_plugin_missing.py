"""CDC019: the connector's logical decoding output plugin is not available on the server."""

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
from audit.facts import Facts
from audit.remedy import ChangeWindow, Fix, Step, note, sql
from audit.remedy.settings import set_setting

BUILT_IN = "pgoutput"
# what AWS documents for RDS and Aurora: pgoutput built in, test_decoding and wal2json shipped,
# pglogical as an extension loaded through shared_preload_libraries
AWS_PLUGINS = frozenset({"pgoutput", "test_decoding", "wal2json", "pglogical"})
PACKAGES = {
    "test_decoding": "the contrib modules (postgresqlNN-contrib on RPM systems; Debian and "
    "Ubuntu ship them with postgresql-NN)",
    "wal2json": "postgresql-NN-wal2json (apt) or wal2json_NN (yum/dnf), from the PGDG repository",
    "decoderbufs": "postgresql-NN-decoderbufs (apt) or postgres-decoderbufs_NN (dnf), from PGDG",
}


class Options(RuleOptions):
    plugin: str | None = option(
        None,
        unit=Unit.NAME,
        description="the connector's output plugin (Debezium plugin.name; DMS PluginName), "
        "when it is not the profile's default",
    )


def _preloads(facts: Facts, library: str) -> bool | None:
    setting = facts.setting("shared_preload_libraries")
    if setting is None:
        return None
    return library in {part.strip().strip('"') for part in setting.value.split(",")}


def _pglogical_installed(facts: Facts) -> bool:
    return any(
        e.name == "pglogical" and e.installed_version is not None for e in facts.extensions or []
    )


@rule(
    code="CDC019",
    name="output-plugin-missing",
    severity=Severity.CRITICAL,
    requires=("server", "settings", "slots"),
    options=Options,
)
def output_plugin_missing(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """The output plugin the connector decodes with is not available on the server.

    ## What it checks
    The plugin is option `plugin` if set, else the profile's: `pgoutput` for Debezium and
    native subscriptions; for AWS DMS `pglogical` when the `pglogical` extension is created in
    the audited database, else `test_decoding` (DMS's own rule). The generic profile names none,
    so the rule needs the option there. Then:

    - `pgoutput` is built into PostgreSQL 10 and later: always available;
    - a logical slot that already uses the plugin proves it loads;
    - `pglogical` needs its extension in the database and its library in
      `shared_preload_libraries`: an extension without the preload is reported;
    - on RDS and Aurora, `test_decoding` and `wal2json` are provided; other plugins (such as
      `decoderbufs`) are reported, as AWS does not list them;
    - on a self-managed server, the plugin's shared library must be in the package library
      directory (`pg_config` `PKGLIBDIR`, looked up with `pg_stat_file`, which needs superuser
      or explicit grants; without them the rule is not evaluated).

    ## Why it matters for CDC
    A slot is created with its plugin, and creating it loads the library: when the file is
    missing the connector fails at its first start ("could not access file "wal2json": No
    such file or directory"), after the change window in which it was meant to go live.

    ## How to fix
    Install the package that ships the plugin for the server's major version (test_decoding:
    the contrib modules; wal2json and decoderbufs: their PGDG packages) on the database host;
    no restart is needed for an output plugin. Or point the connector at `pgoutput`
    (Debezium `plugin.name=pgoutput`), which every supported PostgreSQL has. For pglogical, add
    it to `shared_preload_libraries` (restart) or drop the extension so that DMS uses
    test_decoding.

    ## References
    - https://www.postgresql.org/docs/current/logicaldecoding-output-plugin.html
    - https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-GENFILE
    - https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-output-plugin
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Source.PostgreSQL.html#CHAP_Source.PostgreSQL.Security
    - https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Tasks.AssessmentReport.PG.html
    - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Replication.Logical.html
    """
    chosen = ctx.options_for(Options).plugin
    profile = ctx.profile
    plugin = chosen or profile.output_plugin
    if profile.name == "dms" and chosen is None and _pglogical_installed(facts):
        plugin = "pglogical"
    if plugin is None:
        raise NotEvaluated(
            f"the {profile.name} profile names no output plugin: set plugin in [rules.CDC019]"
        )
    evidence: dict[str, object] = {"plugin": plugin, "profile": profile.name}
    if plugin == BUILT_IN:
        return
    if any(s.plugin == plugin for s in facts.slots or []):
        return
    if plugin == "pglogical":
        yield from _pglogical(facts, evidence)
        return
    if facts.platform.is_managed:
        if plugin not in AWS_PLUGINS:
            yield Finding(
                subject=f"plugin:{plugin}",
                message=(
                    f"the connector decodes with {plugin}, which {facts.platform.engine} does "
                    "not provide: slot creation fails"
                ),
                evidence={**evidence, "platform": facts.platform.engine},
                fix=Fix.of(_use_pgoutput(plugin)),
            )
        return
    libraries = facts.output_plugins
    present = None if libraries is None else libraries.get(plugin)
    if present is None:
        raise NotEvaluated(
            f"whether {plugin}'s library is installed could not be read (pg_stat_file and "
            "pg_config need superuser or grants) and no slot uses it yet"
        )
    if present:
        return
    yield Finding(
        subject=f"plugin:{plugin}",
        message=(
            f"the connector decodes with {plugin}, whose library is not in the server's "
            "library directory: creating its slot fails"
        ),
        evidence={**evidence, "library_present": False},
        fix=Fix.of(
            note(
                f"on the database host, install {PACKAGES.get(plugin, f'the {plugin} package')}"
                " for this major version (no restart needed)",
                plugin=plugin,
            ),
            _use_pgoutput(plugin),
        ),
    )


def _use_pgoutput(plugin: str) -> Step:
    return note(
        f"or configure the connector for pgoutput instead of {plugin} (Debezium: "
        "plugin.name=pgoutput)",
        ChangeWindow.COORDINATION,
    )


def _pglogical(facts: Facts, evidence: dict[str, object]) -> Iterator[Finding]:
    preloaded = _preloads(facts, "pglogical")
    installed = _pglogical_installed(facts)
    if installed and preloaded is not False:
        return
    if not installed:
        yield Finding(
            subject="plugin:pglogical",
            message="the connector decodes with pglogical, whose extension is not created in "
            "this database",
            evidence={**evidence, "extension": False, "preloaded": preloaded},
            fix=Fix.of(sql("CREATE EXTENSION pglogical;"), _use_pgoutput("pglogical")),
        )
        return
    yield Finding(
        subject="plugin:pglogical",
        message=(
            "the pglogical extension is created but its library is not in "
            "shared_preload_libraries: DMS picks pglogical and its slot fails"
        ),
        evidence={**evidence, "extension": True, "preloaded": False},
        fix=Fix(
            steps=(
                *set_setting(
                    facts, "shared_preload_libraries", _with_pglogical(facts), restart=True
                ).steps,
                note(
                    "or DROP EXTENSION pglogical; so that DMS decodes with test_decoding",
                    ChangeWindow.COORDINATION,
                ),
            )
        ),
    )


def _with_pglogical(facts: Facts) -> str:
    setting = facts.setting("shared_preload_libraries")
    current = [p.strip() for p in (setting.value if setting else "").split(",") if p.strip()]
    return ", ".join([*current, "pglogical"])
