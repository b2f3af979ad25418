"""The catalogue keeps itself honest: codes, names, docs, tests and generated docs agree."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from audit import docs
from audit.engine import (
    DOC_HEADINGS,
    PROFILES,
    Rule,
    RuleResult,
    Status,
    all_rules,
    describe_options,
)
from audit.engine.registry import module_name_for
from audit.engine.rule import CODE_PATTERN
from audit.facts import Facts
from tests.factories import facts, run

ROOT = Path(__file__).resolve().parent.parent
RULES = all_rules()
IDS = [r.code for r in RULES]
CASE_WORDS = ("pass", "fail", "edge", "not_evaluated")


def test_catalogue_is_not_empty_and_codes_are_unique_and_well_formed() -> None:
    assert RULES
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    assert all(CODE_PATTERN.match(c) for c in codes)
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))


def test_every_rule_module_holds_exactly_one_rule_named_after_it() -> None:
    modules = sorted(p.stem for p in (ROOT / "rules").glob("cdc*.py"))
    assert modules == sorted(module_name_for(r) for r in RULES)


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_name_is_kebab_case_and_matches_the_function(rule: Rule) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", rule.name)
    assert rule.check.__name__ == rule.name.replace("-", "_")


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_doc_has_a_title_and_the_four_headings_in_order(rule: Rule) -> None:
    assert rule.title
    assert not rule.title.startswith("#")
    headings = re.findall(r"^## (.+)$", rule.doc, re.M)
    assert headings == list(DOC_HEADINGS)
    for heading in DOC_HEADINGS:
        assert rule.section(heading), f"{rule.code}: ## {heading} is empty"


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_references_have_a_url(rule: Rule) -> None:
    assert rule.references(), f"{rule.code} has no URL under ## References"
    assert all(url.startswith("https://") for url in rule.references())


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_requires_names_fact_families(rule: Rule) -> None:
    assert set(rule.requires) <= set(Facts.model_fields)


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_profiles_are_known(rule: Rule) -> None:
    assert rule.profiles is None or set(rule.profiles) <= set(PROFILES)


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_every_rule_has_pass_fail_edge_and_not_evaluated_tests(rule: Rule) -> None:
    path = ROOT / "tests" / "rules" / f"test_{module_name_for(rule)}.py"
    assert path.is_file(), f"{rule.code} has no test module {path.relative_to(ROOT)}"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tests = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]
    for word in CASE_WORDS:
        assert any(word in name for name in tests), f"{path.name} has no {word} test"


@pytest.mark.parametrize("profile", list(PROFILES))
def test_a_clean_server_gives_no_finding_and_no_error(profile: str) -> None:
    """The factories' defaults are a well-configured server: every rule must pass on it."""
    clean = facts()
    results = [run(r, clean, profile) for r in RULES if r.applies_to(profile)]
    assert [(r.rule.code, r.status, r.reason) for r in results if not _clean(r)] == []


def _clean(result: RuleResult) -> bool:
    """Passed, or waits for an option only the connector's configuration can supply."""
    if result.status is Status.PASS:
        return True
    needs_option = f"[rules.{result.rule.code}]" in (result.reason or "")
    return result.status is Status.NOT_EVALUATED and needs_option


def test_rules_md_is_current() -> None:
    assert docs.catalogue_is_current(), "docs/rules.md is stale: run `python -m audit.docs`"


def test_catalogue_lists_every_rule_with_its_doc() -> None:
    text = docs.render_catalogue(RULES)
    for rule in RULES:
        assert f"| [{rule.code}](#{rule.code.lower()}-{rule.name}) |" in text
        assert f"### {rule.code} {rule.name}" in text
    assert "\n## What it checks" not in text  # rule headings are demoted under the rule


def test_explain_starts_with_code_name_and_severity() -> None:
    rule = RULES[0]
    text = docs.explain(rule)
    assert text.startswith(f"{rule.code} {rule.name} ({rule.severity.value})\n")
    assert rule.doc in text


def test_rules_as_json_is_serializable_and_complete() -> None:
    listed = json.loads(json.dumps(docs.rules_as_json()))
    assert [r["code"] for r in listed] == IDS
    first = listed[0]
    assert set(first) >= {"code", "name", "title", "severity", "family", "profiles", "doc"}
    assert set(first["doc"]) == set(DOC_HEADINGS)


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_every_option_is_documented_and_named_in_the_rule_doc(rule: Rule) -> None:
    """Each declared option has a description, a default within its bounds, and the rule's
    doc names it, so `rules explain` and docs/rules.md tell the same story as the model."""
    for info in describe_options(rule.options):
        assert info.description, f"{rule.code} option {info.name} has no description"
        assert f"`{info.name}`" in rule.doc, f"{rule.code}'s doc does not name {info.name}"
        if info.default is not None:
            assert info.minimum is None or info.default >= info.minimum
            assert info.maximum is None or info.default <= info.maximum


def test_options_show_in_explain_json_and_the_catalogue() -> None:
    cdc204 = next(r for r in RULES if r.code == "CDC204")
    assert (
        "- min_retained_bytes: integer (bytes), default 1073741824 (1 GiB), at least 0. "
        "WAL a slot retains before it is reported." in docs.explain(cdc204)
    )
    listed = {r["code"]: r for r in docs.rules_as_json()}
    assert listed["CDC208"]["options"][1] == {
        "name": "min_growth_ratio",
        "type": "number",
        "unit": "ratio",
        "default": 0.5,
        "minimum": 0.0,
        "maximum": 1.0,
        "description": "lag growth as a share of the WAL written meanwhile that fails",
    }
    assert listed["CDC001"]["options"] == []
    assert "| `min_growth_ratio` | number | ratio | 0.5 | 0 to 1 |" in docs.render_catalogue(RULES)


def test_check_mode_exits_1_when_stale(tmp_path: Path) -> None:
    stale = tmp_path / "rules.md"
    stale.write_text("old\n", encoding="utf-8")
    assert docs.main(["--check", "--output", str(stale)]) == 1
    assert docs.main(["--output", str(stale)]) == 0
    assert docs.main(["--check", "--output", str(stale)]) == 0


def test_scaffold_writes_a_rule_and_its_tests(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    rule_path, test_path = docs.scaffold("CDC299", "some-new-check", root=tmp_path)
    assert rule_path.name == "cdc299_some_new_check.py"
    assert test_path == tmp_path / "tests" / "rules" / "test_cdc299_some_new_check.py"
    rule_source = rule_path.read_text(encoding="utf-8")
    compile(rule_source, str(rule_path), "exec")
    assert 'code="CDC299"' in rule_source
    assert "def some_new_check(" in rule_source
    for heading in DOC_HEADINGS:
        assert f"## {heading}" in rule_source
    test_source = test_path.read_text(encoding="utf-8")
    compile(test_source, str(test_path), "exec")
    for word in CASE_WORDS:
        assert f"def test_{word}" in test_source


@pytest.mark.parametrize(
    ("code", "name", "error"),
    [
        ("CDC001", "anything", "already"),
        ("CDC12", "short-code", "not a rule code"),
        ("CDC299", "Not_Kebab", "kebab-case"),
    ],
)
def test_scaffold_refuses_bad_or_taken_codes(
    tmp_path: Path, code: str, name: str, error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        docs.scaffold(code, name, root=tmp_path)
