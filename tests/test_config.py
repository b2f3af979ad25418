"""The configuration is validated when it loads: every mistake is one line naming the file,
the table and key, and the closest valid name; nothing is silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.config import AuditConfig, ConfigError, load_config
from audit.engine import RuleContext, RuleOptions, find_rule, get_profile
from audit.pipeline import selected_rules
from rules.cdc204_abandoned_physical_slot import Options as CDC204Options
from rules.cdc208_slot_lag_growing import Options as CDC208Options


def load(tmp_path: Path, text: str) -> AuditConfig:
    path = tmp_path / "cdc-preflight.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message
    prefix = f"{tmp_path / 'cdc-preflight.toml'}: "
    assert message.startswith(prefix), message
    return message.removeprefix(prefix)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[rules.CDC208]\nmin_growth_ratoi = 0.9\n",
            "[rules.CDC208] unknown option min_growth_ratoi (did you mean min_growth_ratio?)",
        ),
        (
            "[rules.CDC002]\nplanned_connectors = 2\n",
            "[rules.CDC002] unknown option planned_connectors: the connector plan is "
            "audit-wide, set it under [estimates] (planned_connectors; spare_senders is "
            "spare_slots)",
        ),
        (
            '[rules.CDC204]\nmin_retained_bytes = "x"\n',
            "[rules.CDC204] min_retained_bytes: expected an integer number of bytes, got 'x'",
        ),
        (
            "[rules.CDC204]\nmin_retained_bytes = 1.5e9\n",
            "[rules.CDC204] min_retained_bytes: expected an integer number of bytes, "
            "got 1500000000.0",
        ),
        (
            "[rules.CDC208]\nmin_growth_ratio = 1.5\n",
            "[rules.CDC208] min_growth_ratio: 1.5 is out of range (0 to 1)",
        ),
        (
            "[rules.CDC206]\nmin_spill_percent = true\n",
            "[rules.CDC206] min_spill_percent: expected an integer percentage, got True",
        ),
        (
            "[rules.CDC205]\nslot_name = 7\n",
            "[rules.CDC205] slot_name: expected a name (a string), got 7",
        ),
        ("[rules.CDC999]\nx = 1\n", "[rules.CDC999] unknown rule (did you mean CDC009?)"),
        (
            "[rules.slot-lag-grwing]\nmin_growth_bytes = 1\n",
            "[rules.slot-lag-grwing] unknown rule (did you mean slot-lag-growing?)",
        ),
        (
            '[rules.CDC310]\nconnector_role = "debezium"\n',
            "[rules.CDC310] unknown option connector_role: the connector's role is one setting "
            'for every check, set it as [connector] role = "..."',
        ),
        ('[connector]\nrol = "debezium"\n', "[connector] unknown key rol (did you mean role?)"),
        (
            '[connector]\nrole = ""\n',
            "[connector] role: String should have at least 1 character, got ''",
        ),
        (
            "[estimates]\nnative_sync_shared_host = true\n",
            "[estimates] native_sync_shared_host needs native_sync_cpus (the host's cores)",
        ),
        (
            "[rules.CDC001]\nthreshold = 1\n",
            "[rules.CDC001] unknown option threshold: CDC001 has no options",
        ),
        (
            "[rules.CDC208]\nmin_growth_bytes = 1\n"
            "[rules.slot-lag-growing]\nmin_growth_bytes = 2\n",
            "[rules.slot-lag-growing] repeats [rules.CDC208]: one table per rule",
        ),
        (
            "[estimates]\nfree_disk_byte = 1\n",
            "[estimates] unknown key free_disk_byte (did you mean free_disk_bytes?)",
        ),
        (
            '[estimates]\nsnapshot_mode = "blocking"\n',
            "[estimates] snapshot_mode: Input should be 'initial' or 'incremental', got 'blocking'",
        ),
        (
            "[estimates]\nmeasured_snapshot = { seconds = 60, byte = 1e9 }\n",
            "[estimates] measured_snapshot: unknown key byte (did you mean bytes?)",
        ),
        (
            "[estimates]\nmeasured_snapshot = { seconds = -1, rows = 1000 }\n",
            "[estimates] measured_snapshot: seconds: Input should be greater than 0, got -1",
        ),
        (
            "[estimates]\nmeasured_snapshot = { seconds = 60 }\n",
            "[estimates] measured_snapshot: Value error, measured_snapshot needs bytes or rows "
            "(what the run copied), got {'seconds': 60}",
        ),
        (
            'select = ["NOPE"]\n',
            "select: unknown rule 'NOPE': give a code (CDC101), a code prefix (CDC1) or a rule "
            "name",
        ),
        (
            'select = ["CDC2", "slot-lag-grow"]\n',
            "select: unknown rule 'slot-lag-grow' (did you mean slot-lag-growing?)",
        ),
        ('ignore = ["CDC9"]\n', "ignore: unknown rule 'CDC9' (did you mean CDC?)"),
        ("select = []\n", 'select = []: selects no rule (the default is ["CDC"])'),
        ('selct = ["CDC1"]\n', "unknown key selct (did you mean select?)"),
        (
            '[[waivers]]\nrule = "CDC1O1"\nreason = "typo: letter O"\n',
            "[[waivers]] #1 rule: unknown rule CDC1O1 (did you mean CDC101?)",
        ),
        ('[[waivers]]\nrule = "CDC101"\n', "[[waivers]] #1 reason: missing"),
        (
            '[scope]\ntables = ["shop"]\n',
            "[scope] table pattern 'shop' has no schema: write shop.* for every table of "
            "schema shop, or *.shop for table shop in any schema",
        ),
        (
            '[scope]\ntables = ["shop.*"]\npublication = "dbz_publication"\n',
            "[scope] name the tables or a publication, not both: the publication already says "
            "which tables CDC captures",
        ),
    ],
)
def test_each_mistake_is_one_line_with_table_key_and_closest_name(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert error(tmp_path, text) == expected


def test_rule_tables_by_code_or_name_become_typed_options(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "[rules.CDC204]\nmin_retained_bytes = 16777216\n"
        "[rules.slot-lag-growing]\nmin_growth_ratio = 1\n",
    )
    cdc204, cdc208 = find_rule("CDC204"), find_rule("CDC208")
    assert cdc204 is not None and cdc208 is not None
    options = config.options_for(cdc204)
    assert isinstance(options, CDC204Options)
    assert options.min_retained_bytes == 16777216
    assert options.min_inactive_seconds == 86_400  # the declared default
    ratio = config.options_for(cdc208)
    assert isinstance(ratio, CDC208Options) and ratio.min_growth_ratio == 1.0
    cdc001 = find_rule("CDC001")
    assert cdc001 is not None and type(config.options_for(cdc001)) is RuleOptions


def test_a_context_hands_out_only_the_rule_s_own_options() -> None:
    profile = get_profile("debezium")
    assert RuleContext(profile).options_for(CDC204Options) == CDC204Options()
    held = RuleContext(profile, options=CDC208Options(min_growth_bytes=1))
    assert held.options_for(CDC208Options).min_growth_bytes == 1
    with pytest.raises(TypeError, match="holds Options, not Options"):
        held.options_for(CDC204Options)


def test_options_built_in_code_are_checked_against_the_rule() -> None:
    config = AuditConfig(rules={"CDC204": CDC204Options(min_retained_bytes=1)})
    assert config.rules["CDC204"] == CDC204Options(min_retained_bytes=1)
    with pytest.raises(ValueError, match="unknown option min_growth_bytes"):
        AuditConfig(rules={"CDC204": CDC208Options(min_growth_bytes=1)})


def test_estimates_are_the_typed_model(tmp_path: Path) -> None:
    config = load(tmp_path, "[estimates]\nfree_disk_bytes = 1000000\n")
    assert config.estimates.free_disk_bytes == 1_000_000
    assert config.estimates.overrides() == {"free_disk_bytes": 1_000_000}


def test_a_measured_snapshot_is_read_from_the_estimates_table(tmp_path: Path) -> None:
    text = "[estimates]\nmeasured_snapshot = { seconds = 5400, bytes = 120e9, workers = 8 }\n"
    measured = load(tmp_path, text).estimates.measured_snapshot
    assert measured is not None
    assert (measured.seconds, measured.bytes, measured.rows, measured.workers) == (
        5400.0,
        120e9,
        None,
        8,
    )


def test_a_selection_that_leaves_no_rule_for_the_profile_is_a_usage_error(
    tmp_path: Path,
) -> None:
    config = load(tmp_path, 'select = ["CDC309"]\n')  # a Debezium-only rule
    assert [r.code for r in selected_rules(get_profile("debezium"), config)] == ["CDC309"]
    with pytest.raises(ConfigError) as caught:
        selected_rules(get_profile("dms"), config)
    assert str(caught.value) == (
        f"{tmp_path / 'cdc-preflight.toml'}: select = ['CDC309'] and ignore = [] leave no rule "
        "for the dms profile"
    )
    everything_ignored = load(tmp_path, 'ignore = ["CDC"]\n')
    with pytest.raises(ConfigError, match="leave no rule for the debezium profile"):
        selected_rules(get_profile("debezium"), everything_ignored)


def test_pyproject_table_is_validated_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.cdc-preflight.rules.CDC204]\nmin_retained_byte = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(None, search_dir=tmp_path)
    assert str(caught.value) == (
        f"{path}: [rules.CDC204] unknown option min_retained_byte "
        "(did you mean min_retained_bytes?)"
    )
