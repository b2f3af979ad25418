"""CDC019 output-plugin-missing: the connector's decoding plugin must be loadable."""

from __future__ import annotations

from audit.engine import Status
from audit.facts.models import Extension
from rules.cdc019_output_plugin_missing import output_plugin_missing as RULE
from tests.factories import aurora, facts, fix_text, rds, run, settings, slot

NO_LIBRARIES = {"decoderbufs": False, "test_decoding": False, "wal2json": False}
PGLOGICAL = Extension(name="pglogical", installed_version="2.4.5", default_version="2.4.5")


def test_pass_pgoutput_is_built_in_and_test_decoding_is_installed() -> None:
    assert run(RULE, facts(output_plugins=NO_LIBRARIES)).status is Status.PASS
    assert run(RULE, facts(), "dms").status is Status.PASS


def test_fail_library_missing_on_a_self_managed_server() -> None:
    [finding] = run(RULE, facts(output_plugins=NO_LIBRARIES), "dms").findings
    assert finding.subject == "plugin:test_decoding"
    assert "whose library is not in the server's library directory" in finding.message
    assert "contrib modules" in fix_text(finding)
    [wal2json] = run(RULE, facts(), plugin="wal2json").findings
    assert "postgresql-NN-wal2json" in fix_text(wal2json)


def test_fail_pglogical_extension_without_its_preload() -> None:
    the_facts = facts(
        extensions=[PGLOGICAL], settings=settings(shared_preload_libraries="pg_stat_statements")
    )
    [finding] = run(RULE, the_facts, "dms").findings
    assert "not in shared_preload_libraries" in finding.message
    assert "pg_stat_statements, pglogical" in fix_text(finding)
    preloaded = facts(
        extensions=[PGLOGICAL], settings=settings(shared_preload_libraries="pglogical")
    )
    assert run(RULE, preloaded, "dms").status is Status.PASS


def test_edge_an_existing_slot_proves_the_plugin_loads() -> None:
    the_facts = facts(output_plugins=None, slots=[slot("dms_slot", plugin="wal2json")])
    assert run(RULE, the_facts, plugin="wal2json").status is Status.PASS


def test_edge_aws_provides_wal2json_but_not_decoderbufs() -> None:
    on_rds = facts(server=rds(), output_plugins=None)
    assert run(RULE, on_rds, plugin="wal2json").status is Status.PASS
    [finding] = run(
        RULE, facts(server=aurora(), output_plugins=None), plugin="decoderbufs"
    ).findings
    assert "does not provide" in finding.message
    assert "plugin.name=pgoutput" in fix_text(finding)


def test_not_evaluated_when_the_library_could_not_be_looked_for() -> None:
    result = run(RULE, facts(output_plugins=None), "dms")
    assert result.status is Status.NOT_EVALUATED
    assert "pg_stat_file" in (result.reason or "")
    generic = run(RULE, facts(), "generic")
    assert generic.status is Status.NOT_EVALUATED
    assert "[rules.CDC019]" in (generic.reason or "")
