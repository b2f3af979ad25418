"""Reports built directly from the model, for the renderer tests (fixtures in conftest.py).

``build`` makes a realistic report: findings of every severity (several subjects for some
rules), a waived finding, rules that could not be evaluated, a collection issue, estimates in
the shape ``estimate_all`` returns (``estimates.json``, from the demo), the sampling series and
the inventory of ``sample_facts()``, and labels. ``HOSTILE`` holds database-provided strings
that must stay inert.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.engine import Severity
from audit.estimate.model import Estimates
from audit.facts import Facts, ReplicaIdentity, Sampling, TableKind, WalSample
from audit.facts.models import SpecialColumn, ToastableColumn
from audit.remedy import ChangeWindow, Fix, note, sql
from audit.remedy.settings import restart_server
from audit.report.inventory import build_inventory
from audit.report.model import (
    NotEvaluatedItem,
    Report,
    ReportFinding,
    ReportTarget,
    Tool,
    verdict_for,
)
from audit.report.series import build_series
from tests.factories import (
    MIB,
    NOW,
    facts,
    lsn,
    physical_slot,
    publication,
    published,
    setting,
    settings,
    table,
)

SCRIPT = "<script>alert(1)</script>"
LONG_NAME = "public." + "customer_order_line_item_history_" * 12
NAME_63 = "t" * 63
HOSTILE = {
    "script": f'public."{SCRIPT}"',
    "quotes": """public."it's a ""quoted"" & <b>bold</b> name\"""",
    "emoji": "public.café_订单_🚀",
    "name_63": f"public.{NAME_63}",
    "long": LONG_NAME,
    "markdown": "public.`tick` | pipe [link](http://evil.example) # head",
}

COORDINATION = ChangeWindow.COORDINATION

FIXES: dict[str, Callable[[str], Fix]] = {
    "CDC101": lambda subject: Fix.of(
        sql(f"ALTER TABLE {subject} ADD PRIMARY KEY (id);", COORDINATION, table=subject),
        note("or, if no key exists:", COORDINATION),
        sql(f"ALTER TABLE {subject} REPLICA IDENTITY FULL;", COORDINATION, table=subject),
    ),
    "CDC001": lambda subject: Fix.of(
        sql("ALTER SYSTEM SET wal_level = logical;", ChangeWindow.RESTART, setting="wal_level"),
        restart_server("wal_level"),
    ),
    "CDC301": lambda subject: Fix.of(
        sql(f"SELECT pg_drop_replication_slot('{subject}');", slot_name=subject)
    ),
}

RULES: dict[str, tuple[str, str, Severity]] = {
    "CDC001": ("wal-level-not-logical", "wal_level is not logical", Severity.CRITICAL),
    "CDC101": (
        "table-without-replica-identity",
        "Table has no primary key and no usable replica identity",
        Severity.CRITICAL,
    ),
    "CDC301": ("inactive-slot-retains-wal", "Inactive slot retains WAL", Severity.HIGH),
    "CDC102": (
        "replica-identity-full",
        "Table uses REPLICA IDENTITY FULL",
        Severity.MEDIUM,
    ),
    "CDC401": ("missing-replication-privilege", "Role cannot replicate", Severity.HIGH),
    "CDC203": ("toast-heavy-table", "Table stores wide values out of line", Severity.LOW),
    "CDC501": ("rds-parameter-group", "Parameter group is in sync", Severity.INFO),
    "CDC402": (
        "logical-replication-not-configured",
        "rds.logical_replication is not turned on",
        Severity.CRITICAL,
    ),
    "CDC403": (
        "logical-replication-pending-reboot",
        "rds.logical_replication waits for a writer reboot",
        Severity.CRITICAL,
    ),
    "CDC404": ("reader-pending-reboot", "A reader has not applied its groups", Severity.MEDIUM),
    "CDC407": ("recent-failover", "The cluster failed over recently", Severity.MEDIUM),
}

WHY = (
    "Logical decoding identifies an updated or deleted row by its replica identity. Without "
    "one, `UPDATE` and `DELETE` on the table fail once it is published.\n\n"
    "- Debezium cannot emit keys for the table.\n- DMS skips updates."
)


def finding(
    code: str,
    subject: str,
    *,
    severity: Severity | None = None,
    message: str | None = None,
    evidence: dict[str, Any] | None = None,
    waived: bool = False,
    waiver_reason: str | None = None,
) -> ReportFinding:
    name, title, default = RULES[code]
    return ReportFinding(
        code=code,
        rule=name,
        title=title,
        severity=severity or default,
        subject=subject,
        message=message or f"{subject} has no primary key; 1.2 GB, 40 updates/s.",
        evidence=evidence
        if evidence is not None
        else {"relreplident": "d", "has_primary_key": False, "size_bytes": 1_288_490_188},
        fix=FIXES[code](subject) if code in FIXES else None,
        waived=waived,
        waiver_reason=waiver_reason,
        why=WHY,
        references=[
            "https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-REPLICA-IDENTITY",
            "javascript:alert(1)",
        ],
    )


ESTIMATES_FILE = Path(__file__).with_name("estimates.json")
#: The demo's busiest table, renamed in the estimates and the facts to a hostile name.
BUSY = "public.events"


def estimates_json() -> dict[str, Any]:
    """estimate_all's output for the demo as report.json holds it, with one table renamed to a
    hostile name."""
    text = ESTIMATES_FILE.read_text()
    text = text.replace(json.dumps(BUSY), json.dumps(HOSTILE["script"], ensure_ascii=False))
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def realistic_estimates(source: dict[str, Any] | None = None) -> Estimates:
    """The typed estimates read back from report.json's form (``source``, or the demo's)."""
    return Estimates.model_validate(source if source is not None else estimates_json())


def _samples(count: int = 11, step: float = 2.0) -> list[WalSample]:
    """WAL positions 2 s apart, the rate falling from about 630 to 120 KiB/s."""
    rates = [633, 376, 361, 266, 277, 203, 203, 161, 121, 269, 300, 280, 250]
    position = 0x1000000
    out = [WalSample(at=NOW - timedelta(seconds=step * (count - 1)), lsn=lsn(position))]
    for i in range(1, count):
        position += int(rates[(i - 1) % len(rates)] * 1024 * step)
        out.append(
            WalSample(
                at=NOW - timedelta(seconds=step * (count - 1 - i)),
                lsn=lsn(position),
                tup_inserted=100 * i,
                tup_updated=40 * i,
                tup_deleted=10 * i,
            )
        )
    out[0] = out[0].model_copy(update={"tup_inserted": 0, "tup_updated": 0, "tup_deleted": 0})
    return out


def sample_facts(**overrides: Any) -> Facts:
    """Tables (hostile names among them), settings, a slot, a publication, 10 sample intervals."""
    tables = [
        table("public.order_items", primary_key=["order_id", "line_no"], heap_bytes=9 * MIB),
        table(
            HOSTILE["script"],
            replica_identity=ReplicaIdentity.FULL,
            n_tup_upd=5_000,
            n_tup_del=1_000,
            toast_bytes=2 * MIB,
            toastable_columns=[ToastableColumn(name="payload", type="jsonb")],
        ),
        table("public.audit_log", primary_key=None, unique_candidates=[]),
        table("public.carts", primary_key=None, unique_candidates=["carts_session_id_key"]),
        table(
            HOSTILE["emoji"],
            special_columns=[
                SpecialColumn(name="tags", type="text[]", kinds=["array"]),
                SpecialColumn(name="price", type="money", kinds=["money"]),
            ],
        ),
        table(HOSTILE["long"], unlogged=True),
        table("public.page_views", kind=TableKind.PARTITIONED, heap_bytes=0),
    ]
    sampling = Sampling(
        started_at=NOW - timedelta(seconds=20),
        ended_at=NOW,
        interval_seconds=2.0,
        requested_seconds=20.0,
        methods=["lsn", "row_changes"],
        samples=_samples(),
        table_deltas={
            "public.order_items": {"n_tup_ins": 1000, "n_tup_upd": 190, "n_tup_del": 0},
            HOSTILE["script"]: {"n_tup_ins": 400, "n_tup_upd": 176, "n_tup_del": 192},
            "public.carts": {"n_tup_ins": 0, "n_tup_upd": 236, "n_tup_del": 0},
        },
    )
    values: dict[str, Any] = {
        "target": facts().target.model_copy(
            update={"host": "orders-db.cluster-abc123.eu-west-1.rds.amazonaws.com"}
        ),
        "tables": tables,
        "sampling": sampling,
        "settings": settings(
            wal_level=setting(
                "wal_level",
                "replica",
                pending_value="logical",
                pending_source="postgresql.auto.conf:3",
                pending_restart=True,
            ),
            max_slot_wal_keep_size="-1",
        ),
        "slots": [physical_slot("standby_decommissioned", active=False, retained_bytes=77 * MIB)],
        "publications": [
            publication(
                "dbz_publication", all_tables=False, tables=[published("public.order_items")]
            )
        ],
    }
    values.update(overrides)
    return facts(**values)


def build(
    findings: list[ReportFinding],
    *,
    labels: dict[str, str] | None = None,
    estimates: Estimates | None = None,
    estimated: bool = True,
    the_facts: Facts | None = None,
    not_evaluated: list[NotEvaluatedItem] | None = None,
    collection_issues: list[dict[str, str | None]] | None = None,
    host: str = "orders-db.cluster-abc123.eu-west-1.rds.amazonaws.com",
    **extra: Any,
) -> Report:
    findings = sorted(findings, key=lambda f: (f.severity.rank, f.code, f.subject))
    source = the_facts if the_facts is not None else sample_facts()
    chosen_estimates = (estimates or realistic_estimates()) if estimated else None
    counts = {
        s.value: sum(1 for f in findings if f.severity is s and not f.waived) for s in Severity
    }
    counts["waived"] = sum(1 for f in findings if f.waived)
    return Report(
        tool=Tool(rules=27),
        report_id="3f9a2c71d0be",
        facts_sha256="9b2e4c0f" * 8,
        target=ReportTarget(
            host=host,
            port=5432,
            dbname="orders",
            user="cdc_audit",
            server_version="PostgreSQL 15.4",
            platform="aurora-postgresql",
        ),
        generated_at=datetime(2025, 3, 4, 9, 30, tzinfo=UTC),
        profile="debezium",
        verdict=verdict_for(findings),
        counts=counts,
        findings=findings,
        not_evaluated=not_evaluated
        if not_evaluated is not None
        else [
            NotEvaluatedItem(
                code="CDC302",
                rule="slot-wal-status",
                title="Slot is close to invalidation",
                reason="permission denied for pg_replication_slots (needs pg_monitor)",
            ),
            NotEvaluatedItem(
                code="CDC501",
                rule="aurora-parameter-status",
                title="Parameter change pending reboot",
                reason="no AWS credentials: control-plane facts were not collected",
            ),
        ],
        rules_evaluated=25,
        collection_issues=collection_issues
        if collection_issues is not None
        else [
            {
                "family": "slots",
                "reason": "permission denied",
                "hint": "GRANT pg_monitor TO cdc_audit",
            }
        ],
        estimates=chosen_estimates,
        labels=labels if labels is not None else {"scenario": "demo"},
        series=build_series(source),
        inventory=build_inventory(source, chosen_estimates),
        **extra,
    )


def realistic_findings(n: int = 30) -> list[ReportFinding]:
    """``n`` findings spread over every severity, several subjects per rule, one waived."""
    codes = ["CDC001", "CDC101", "CDC301", "CDC401", "CDC102", "CDC203", "CDC501"]
    out = [
        finding("CDC001", "wal_level", evidence={"wal_level": "replica", "pending_restart": False})
    ]
    out.append(
        finding(
            "CDC102",
            "public.audit_log",
            waived=True,
            waiver_reason="Audit log is append-only; approved by J. Doe, CR-1182.",
        )
    )
    i = 0
    while len(out) < n:
        code = codes[1 + i % (len(codes) - 1)]
        out.append(finding(code, f"public.table_{i:03d}"))
        i += 1
    return out


def hostile_findings() -> list[ReportFinding]:
    out = [
        finding(
            "CDC101",
            subject,
            message=f"{subject} has no key; <img src=x onerror=alert(1)> & more",
            evidence={"name": subject, "nested": {"k": SCRIPT}, "list": [1, "a|b"]},
        )
        for subject in HOSTILE.values()
    ]
    out.append(finding("CDC301", HOSTILE["markdown"], message="# heading `x` | y <b>z</b>"))
    return out
