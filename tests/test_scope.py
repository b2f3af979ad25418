"""Capture scope: table rules judge only the tables CDC will capture; the report says which."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audit.config import AuditConfig
from audit.engine import get_profile
from audit.facts import read_facts
from audit.facts.models import Publication, PublicationTable
from audit.pipeline import analyze
from audit.scope import (
    Scope,
    ScopeError,
    apply_scope,
    parse_pattern,
    parse_patterns,
    scope_from_options,
)

DEMO = read_facts(Path(__file__).resolve().parents[1] / "sample_outputs" / "demo" / "facts.json")


def names(scope: Scope) -> list[str]:
    facts, _ = apply_scope(DEMO, scope)
    return [t.qualified_name for t in facts.tables or []]


def test_everything_by_default() -> None:
    facts, summary = apply_scope(DEMO, Scope())
    assert facts is DEMO
    assert summary.description == "every table"
    assert summary.in_scope == summary.total == len(DEMO.tables or [])


def test_include_and_exclude_patterns() -> None:
    chosen = names(Scope(tables=parse_patterns("shop.*, !shop.session_cache ,!shop.audit_*")))
    assert "shop.session_cache" not in chosen
    assert "shop.audit_log" not in chosen
    assert "shop.orders" in chosen


def test_a_partitioned_parent_brings_its_partitions() -> None:
    chosen = names(Scope(tables=["shop.page_views"]))
    assert chosen == ["shop.page_views", "shop.page_views_2026", "shop.page_views_default"]


def test_publication_scope_and_schema_membership() -> None:
    publications = [
        Publication(name="orders_pub", tables=[PublicationTable(qualified_name="shop.orders")]),
        Publication(name="by_schema", schemas=["shop"]),
    ]
    facts = DEMO.model_copy(update={"publications": publications})
    scoped, summary = apply_scope(facts, Scope(publication="orders_pub"))
    assert [t.qualified_name for t in scoped.tables or []] == ["shop.orders"]
    assert summary.description == "tables published by orders_pub"
    scoped, _ = apply_scope(facts, Scope(publication="by_schema"))
    assert len(scoped.tables or []) == len(DEMO.tables or [])


def test_missing_publication_is_a_clear_error() -> None:
    with pytest.raises(ScopeError, match="publication 'nope' does not exist"):
        apply_scope(DEMO.model_copy(update={"publications": []}), Scope(publication="nope"))


def test_table_findings_outside_the_scope_disappear_and_the_report_says_so() -> None:
    def subjects(config: AuditConfig) -> set[str]:
        report = analyze(
            DEMO, profile=get_profile("debezium"), config=config, facts_sha256="0" * 64
        )
        return {f.subject for f in report.findings}

    everything = subjects(AuditConfig())
    assert {"shop.carts", "shop.session_cache"} <= everything
    scoped_config = AuditConfig(scope=Scope(tables=["shop.*", "!shop.carts", "!shop.session_*"]))
    scoped = subjects(scoped_config)
    assert "shop.carts" not in scoped and "shop.session_cache" not in scoped
    assert "setting:wal_level" in scoped  # instance-wide findings are not scoped
    report = analyze(
        DEMO, profile=get_profile("debezium"), config=scoped_config, facts_sha256="0" * 64
    )
    assert report.scope["description"] == "tables matching shop.*, !shop.carts, !shop.session_*"
    assert report.scope["tables_in_scope"] == len(DEMO.tables or []) - 2


@pytest.mark.parametrize(
    "pattern", ["SHOP.ORDERS", "Shop.orders", '"shop"."orders"', 'shop."orders"', "*.orders"]
)
def test_patterns_follow_postgresql_identifier_rules(pattern: str) -> None:
    """Unquoted names fold to lower case; quoted names keep theirs."""
    assert names(Scope(tables=[pattern])) == ["shop.orders"]


def test_a_quoted_name_keeps_its_case_and_its_wildcards_literally() -> None:
    assert parse_pattern('"SHOP".orders').schema.pattern == "SHOP"
    assert parse_pattern('shop."ord*"').table.pattern == re.escape("ord*")
    assert parse_patterns('"a,b".*, shop.x') == ['"a,b".*', "shop.x"]
    with pytest.raises(
        ScopeError, match=r"match none of the 11 tables \(did you mean shop.orders\?\)"
    ):
        apply_scope(DEMO, Scope(tables=['"SHOP".orders']))


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (
            "shop",
            "table pattern 'shop' has no schema: write shop.* for every table of schema "
            "shop, or *.shop for table shop in any schema",
        ),
        ("!orders", "table pattern '!orders' has no schema"),
        ("a.b.c", "table pattern 'a.b.c' is not schema.table"),
        ("shop.", "table pattern 'shop.' is not schema.table"),
        ('"shop.orders', "table pattern '\"shop.orders' has an unclosed double quote"),
    ],
)
def test_malformed_patterns_are_usage_errors(pattern: str, message: str) -> None:
    with pytest.raises(ScopeError, match=re.escape(message)):
        parse_pattern(pattern)


def test_a_scope_matching_no_table_is_an_error_naming_the_closest() -> None:
    with pytest.raises(ScopeError) as caught:
        apply_scope(DEMO, Scope(tables=["shpo.*"]))
    assert str(caught.value) == (
        "table patterns shpo.* match none of the 11 tables (did you mean shop.*?)"
    )
    empty = DEMO.model_copy(update={"publications": [Publication(name="empty")]})
    with pytest.raises(ScopeError, match="publication empty publishes none of the 11 tables"):
        apply_scope(empty, Scope(publication="empty"))


def test_tables_and_publication_together_are_refused() -> None:
    with pytest.raises(ScopeError, match="name the tables or a publication, not both"):
        scope_from_options("shop.*", "dbz_publication")
    with pytest.raises(ScopeError, match=r"--tables/--publication: table pattern 'shop'"):
        scope_from_options("shop", None)


def test_patterns_that_matched_nothing_are_warnings_in_the_report() -> None:
    config = AuditConfig(scope=Scope(tables=["shop.*", "shop.ordres", "!shop.sesion_cache"]))
    report = analyze(DEMO, profile=get_profile("debezium"), config=config, facts_sha256="0" * 64)
    assert report.scope["warnings"] == [
        "pattern shop.ordres matched no table (did you mean shop.orders?)",
        "pattern !shop.sesion_cache excluded no table (did you mean shop.session_cache?)",
    ]
    assert report.scope["tables_in_scope"] == 11
