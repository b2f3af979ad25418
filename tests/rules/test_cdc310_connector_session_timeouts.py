"""CDC310 connector-session-timeouts: a timeout the connector's sessions inherit ends the
snapshot or the stream."""

from __future__ import annotations

from typing import Any

from audit.engine import Severity, Status, get_profile
from audit.estimate import EstimateOptions, estimate_all
from audit.estimate.model import Snapshot
from audit.facts import Facts
from audit.facts.models import RoleSetting
from rules.cdc310_connector_session_timeouts import connector_session_timeouts as RULE
from tests.factories import GIB, facts, fix_text, run, setting, settings, table

TIMEOUTS = (
    "statement_timeout",
    "transaction_timeout",
    "idle_in_transaction_session_timeout",
    "idle_session_timeout",
)


def _facts(
    server_values: dict[str, str] | None = None,
    role_settings: list[RoleSetting] | None = None,
    **overrides: Any,
) -> Facts:
    """Two 50-million-row tables; the four timeouts off at server level unless given (ms)."""
    values = dict.fromkeys(TIMEOUTS, "0") | (server_values or {})
    big = [
        table(name, reltuples=50_000_000.0, n_live_tup=50_000_000, heap_bytes=20 * GIB)
        for name in ("public.orders", "public.events")
    ]
    the_settings = settings({name: setting(name, v, unit="ms") for name, v in values.items()})
    values_of: dict[str, Any] = {
        "tables": big,
        "settings": the_settings,
        "role_settings": role_settings if role_settings is not None else [],
    }
    return facts(**(values_of | overrides))


def _snapshot(the_facts: Facts, profile: str = "debezium") -> Snapshot:
    return estimate_all(the_facts, get_profile(profile), EstimateOptions()).snapshot


def _longest(snapshot: Snapshot) -> tuple[float, float]:
    table = max(snapshot.per_table, key=lambda t: t.seconds.high)
    return table.seconds.expected, table.seconds.high


def _ms(seconds: float) -> str:
    return str(int(seconds * 1000))


def test_pass_every_timeout_off() -> None:
    assert run(RULE, _facts()).status is Status.PASS


def test_fail_server_statement_timeout_shorter_than_the_longest_table() -> None:
    expected, high = _longest(_snapshot(_facts()))
    short = run(RULE, _facts({"statement_timeout": _ms(expected / 2)}))
    [finding] = short.findings
    assert short.severity_of(finding) is Severity.HIGH
    assert finding.subject == "setting:statement_timeout"
    assert finding.message.startswith("statement_timeout = ")
    assert "applies to role cdc (server) and is shorter than the longest table's copy" in (
        finding.message
    )
    assert fix_text(finding).startswith("ALTER ROLE cdc IN DATABASE app SET statement_timeout = 0;")
    between = run(RULE, _facts({"statement_timeout": _ms((expected + high) / 2)}))
    assert [between.severity_of(f) for f in between.findings] == [Severity.MEDIUM]
    longer = run(RULE, _facts({"statement_timeout": _ms(high + 1)}))
    assert longer.status is Status.PASS


def test_fail_role_default_overrides_the_server() -> None:
    expected, _ = _longest(_snapshot(_facts()))
    minutes = int(expected / 120) or 1
    role_level = [RoleSetting(role="cdc", name="statement_timeout", value=f"{minutes}min")]
    [finding] = run(RULE, _facts(role_settings=role_level)).findings
    assert "applies to role cdc (role cdc)" in finding.message
    assert finding.evidence["milliseconds"] == minutes * 60_000
    # an exemption in the audited database beats a server-wide timeout
    exempt = [RoleSetting(database="app", role="cdc", name="statement_timeout", value="0")]
    assert run(RULE, _facts({"statement_timeout": "1000"}, exempt)).status is Status.PASS
    # a database default applies to every role; another database's does not
    database_level = [RoleSetting(database="app", name="statement_timeout", value="'1s'")]
    [finding] = run(RULE, _facts(role_settings=database_level)).findings
    assert "(database app)" in finding.message
    elsewhere = [RoleSetting(database="reporting", name="statement_timeout", value="1s")]
    assert run(RULE, _facts(role_settings=elsewhere)).status is Status.PASS


def test_fail_transaction_timeout_whole_snapshot_for_debezium_per_table_for_dms() -> None:
    the_facts = _facts()
    whole = _snapshot(the_facts).seconds
    assert whole is not None
    longest_expected, _ = _longest(_snapshot(the_facts))
    assert whole.expected > longest_expected  # the tables are copied one after the other
    timeout = _ms((whole.expected + longest_expected) / 2)
    debezium = run(RULE, _facts({"transaction_timeout": timeout}))
    [finding] = debezium.findings
    assert "shorter than the snapshot transaction takes" in finding.message
    assert debezium.severity_of(finding) is Severity.HIGH
    dms_expected, dms_high = _longest(_snapshot(the_facts, "dms"))
    dms = run(RULE, _facts({"transaction_timeout": _ms(dms_high + 1)}), "dms")
    assert dms.status is Status.PASS
    dms_short = run(RULE, _facts({"transaction_timeout": _ms(dms_expected / 2)}), "dms")
    assert dms_short.status is Status.FAIL


def test_fail_idle_in_transaction_whatever_its_length() -> None:
    result = run(RULE, _facts({"idle_in_transaction_session_timeout": _ms(86_400)}))
    [finding] = result.findings
    assert result.severity_of(finding) is Severity.MEDIUM
    assert "ends the snapshot transaction whenever the consumer pushes back" in finding.message


def test_edge_idle_session_only_for_debezium_initial_snapshots() -> None:
    whole = _snapshot(_facts()).seconds
    assert whole is not None
    values = {"idle_session_timeout": _ms(whole.expected / 2)}
    [finding] = run(RULE, _facts(values)).findings
    assert finding.subject == "setting:idle_session_timeout"
    assert run(RULE, _facts(values), "dms").status is Status.PASS
    incremental = run(RULE, _facts(values), estimates=EstimateOptions(snapshot_mode="incremental"))
    assert incremental.status is Status.PASS


def test_edge_incremental_snapshot_reads_in_short_chunks() -> None:
    values = {"statement_timeout": "1000", "transaction_timeout": "1000"}
    result = run(RULE, _facts(values), estimates=EstimateOptions(snapshot_mode="incremental"))
    assert result.status is Status.PASS
    values["idle_in_transaction_session_timeout"] = "1000"
    chunks = run(RULE, _facts(values), estimates=EstimateOptions(snapshot_mode="incremental"))
    assert chunks.status is Status.PASS


def test_edge_transaction_timeout_absent_before_17() -> None:
    the_facts = _facts()
    assert the_facts.settings is not None
    del the_facts.settings["transaction_timeout"]
    assert run(RULE, the_facts).status is Status.PASS


def test_not_evaluated_other_connector_role_without_role_defaults() -> None:
    the_facts = _facts(role_settings=[])
    assert run(RULE, the_facts, connector_role="debezium").status is Status.PASS
    unread = _facts().model_copy(update={"role_settings": None})
    result = run(RULE, unread, connector_role="debezium")
    assert result.status is Status.NOT_EVALUATED
    assert "defaults of role debezium could not be read" in (result.reason or "")
    # the auditing role's own session already carries its defaults
    assert run(RULE, unread).status is Status.PASS
    # a default of the auditing role hides the server's value from another role
    mine = [RoleSetting(role="cdc", name="statement_timeout", value="0")]
    hidden = run(RULE, _facts(role_settings=mine), connector_role="debezium")
    assert hidden.status is Status.NOT_EVALUATED


def test_not_evaluated_without_a_snapshot_estimate() -> None:
    result = run(RULE, _facts({"statement_timeout": "1000"}, tables=None))
    assert result.status is Status.NOT_EVALUATED
    assert "snapshot estimate is unavailable" in (result.reason or "")
    assert run(RULE, facts(settings=None)).status is Status.NOT_EVALUATED
