"""Whole-catalogue scenarios: a server with every problem reports each exactly once.

Issue 5's acceptance: an audit of a server built with every problem reports each once, and a
clean, well-configured server reports nothing (the clean half lives in test_catalogue). Here
the rules of families 0 to 3 run together, so overlaps between rules (one root cause found
by two rules) show up as a second finding.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest

from audit.engine import Rule, Status, all_rules
from audit.facts import Facts, TableKind
from audit.facts import ReplicaIdentity as RI
from audit.facts.models import OtherRelation, PreparedXact, SpecialColumn
from tests.factories import (
    GIB,
    MIB,
    NOW,
    database,
    facts,
    lsn,
    physical_slot,
    publication,
    published,
    role,
    run,
    sampling,
    server,
    session,
    setting,
    settings,
    slot,
    slot_stats,
    table,
)

OWN_RULES = [r for r in all_rules() if r.code < "CDC4"]
COMPOSITE = SpecialColumn(name="addr", type="address", kinds=["composite"])


def _broken() -> Facts:
    tables = [
        table("public.no_key", primary_key=None, unique_candidates=[], n_tup_upd=10),
        table("public.full_busy", replica_identity=RI.FULL, n_tup_upd=5000, n_tup_del=20),
        table("public.cache", unlogged=True),
        table("public.docs", toast_bytes=300 * MIB, n_tup_upd=40),
        table("public.big", heap_bytes=2 * GIB, last_analyze=None, reltuples=None),
        table("secret.payroll", can_select=False),
        table(
            "public.keyless",
            primary_key=None,
            replica_identity=RI.FULL,
            unique_candidates=["keyless_uuid_key"],
        ),
        table("public.m", kind=TableKind.PARTITIONED, primary_key=None, unique_candidates=[]),
        table("public.m_1", parent="public.m", primary_key=None, unique_candidates=[]),
        table("public.orders", generated_columns=["total"]),
        table("public.books", special_columns=[COMPOSITE]),
        table("public.accounts", row_security=True),
        table("public.narrow"),
    ]
    publications = [
        publication(
            all_tables=False,
            via_root=False,
            tables=[
                published(t.qualified_name, ["name"] if t.name == "narrow" else None)
                for t in tables
                if t.name not in ("big", "cache")
            ],
        )
    ]
    slots = [
        slot("abandoned", active=False, active_pid=None, retained_bytes=30 * GIB),
        slot("lagging", wal_status="extended", safe_wal_size=64 * MIB),
        slot("pinned", restart_lsn=lsn(0), confirmed_flush_lsn=lsn(6 * GIB)),
        slot("stuck", catalog_xmin_age=250_000_000),
        physical_slot("old_standby", active=False, active_pid=None, retained_bytes=8 * GIB),
        physical_slot("standby1"),
        slot("debezium", database="reporting"),
    ]
    the_settings = settings(
        {"rds.logical_replication": None},
        wal_level="replica",
        max_replication_slots="6",
        max_wal_senders="6",
        max_slot_wal_keep_size="512",
        max_wal_size="1024",
        synchronous_standby_names="*",
        wal_sender_timeout="5000",
        max_worker_processes=setting("max_worker_processes", "8", pending_restart=True),
    )
    return facts(
        server=server(version="13.14", version_num=130014),
        settings=the_settings,
        tables=tables,
        slots=slots,
        role=role(replication=False),
        publications=publications,
        large_objects=12,
        other_relations=[OtherRelation(qualified_name="public.mv", kind="materialized_view")],
        slot_stats=[slot_stats("stuck", spill_txns=10, spill_bytes=8 * GIB, total_bytes=20 * GIB)],
        sessions=[
            session(1, xact_age_seconds=5000.0),
            session(2, state="idle in transaction", state_age_seconds=900.0),
        ],
        prepared_xacts=[
            PreparedXact(gid="orphan", database="app", prepared_at=NOW - timedelta(days=1))
        ],
        databases=[database(connections=96)],
        sampling=sampling(
            wal=200 * MIB, instance_rows=80_000, table_deltas={"other.t": {"n_tup_ins": 80_000}}
        ),
    )


EXPECTED = {
    "CDC001": 1,  # wal_level replica
    "CDC002": 1,  # 6 slots, 7 in use
    "CDC003": 1,  # 6 senders, 7 slots
    "CDC004": 1,  # max_worker_processes pending restart
    "CDC006": 1,  # PostgreSQL 13 is past its end of life at NOW (2026)
    "CDC007": 1,  # wal_sender_timeout 5 s
    "CDC011": 1,  # PostgreSQL 13 with a streaming standby and logical slots
    "CDC013": 1,  # synchronous_standby_names = '*'
    "CDC014": 1,  # max_slot_wal_keep_size 512 MB < max_wal_size 1 GB
    "CDC101": 2,  # public.no_key, and the partitioned public.m
    "CDC108": 1,  # public.books has a composite column
    "CDC109": 1,  # public.orders has a generated column (PostgreSQL 13)
    "CDC110": 1,  # 12 large objects
    "CDC112": 1,  # a materialized view
    "CDC113": 1,  # public.accounts has row-level security
    "CDC114": 1,  # the publication lacks publish_via_partition_root
    "CDC115": 1,  # the column list of public.narrow lacks the key
    "CDC102": 1,  # public.full_busy
    "CDC103": 1,  # public.cache
    "CDC104": 1,  # public.docs
    "CDC105": 1,  # public.big
    "CDC106": 1,  # schema secret
    "CDC107": 1,  # public.keyless (public.no_key is CDC101's)
    "CDC201": 1,  # abandoned
    "CDC202": 1,  # lagging
    "CDC203": 1,  # stuck
    "CDC204": 1,  # old_standby
    "CDC205": 1,  # the debezium slot belongs to database reporting
    "CDC206": 1,  # slot stuck spilled 40%
    "CDC207": 1,  # slot pinned keeps 6 GiB it confirmed
    "CDC301": 1,  # no REPLICATION
    "CDC303": 1,  # pid 1, 83 min
    "CDC304": 1,  # orphan
    "CDC305": 1,  # pid 2
    "CDC306": 1,  # 96 of 100 connections in use
    "CDC307": 1,  # public.big is left out (public.cache is unlogged: CDC103's)
    "CDC308": 1,  # captured tables quiet, instance busy
    "CDC309": 1,  # signal table debezium.signal missing
}


def _signal_table(rule: Rule) -> dict[str, str]:
    """CDC309 waits for the connector's signal table; the other rules have no such option."""
    return {"signal_table": "debezium.signal"} if rule.code == "CDC309" else {}


def test_every_problem_is_reported_exactly_once() -> None:
    broken = _broken()
    results = {
        r.code: run(r, broken, "debezium", **_signal_table(r))
        for r in OWN_RULES
        if r.applies_to("debezium")
    }
    counts = {code: len(result.findings) for code, result in results.items() if result.findings}
    assert counts == EXPECTED
    errors = {code: r.reason for code, r in results.items() if r.status is Status.ERROR}
    assert errors == {}


def test_no_subject_is_reported_twice_by_one_rule() -> None:
    broken = _broken()
    for rule in OWN_RULES:
        result = run(rule, broken, "debezium", **_signal_table(rule))
        subjects = Counter(f.subject for f in result.findings)
        assert [s for s, n in subjects.items() if n > 1] == [], rule.code


@pytest.mark.parametrize("profile", ["dms", "native", "generic"])
def test_other_profiles_run_without_errors_on_the_broken_server(profile: str) -> None:
    broken = _broken()
    for rule in OWN_RULES:
        if rule.applies_to(profile):
            assert run(rule, broken, profile).status is not Status.ERROR, rule.code


def test_inactive_since_makes_an_abandoned_slot_older_not_louder() -> None:
    """Evidence of age is added to the same finding, never a second one."""
    s = slot(
        "abandoned",
        active=False,
        retained_bytes=30 * GIB,
        inactive_since=NOW - timedelta(days=3),
        catalog_xmin_age=90_000_000,
    )
    counts = {
        r.code: len(run(r, facts(slots=[s])).findings)
        for r in OWN_RULES
        if run(r, facts(slots=[s])).findings
    }
    assert counts == {"CDC201": 1}


@pytest.mark.parametrize("profile", ["debezium", "dms", "native", "generic"])
def test_findings_are_well_formed(profile: str) -> None:
    """One line, no trailing period, a fix, and evidence that serializes to JSON."""
    broken = _broken()
    for rule in OWN_RULES:
        if not rule.applies_to(profile):
            continue
        for finding in run(rule, broken, profile, **_signal_table(rule)).findings:
            assert "\n" not in finding.message, rule.code
            assert not finding.message.endswith("."), (rule.code, finding.message)
            assert finding.fix, rule.code
            json.dumps(finding.evidence)
