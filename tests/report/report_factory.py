"""Reports built directly from the model, for the renderer tests (fixtures in conftest.py).

``make_report`` builds a realistic report: findings of every severity (several subjects for
some rules), a waived finding, rules that could not be evaluated, a collection issue, nested
estimates and labels. ``HOSTILE`` holds database-provided strings that must stay inert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from audit.engine import Severity
from audit.report.model import (
    NotEvaluatedItem,
    Report,
    ReportFinding,
    ReportTarget,
    Tool,
    verdict_for,
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

FIXES = {
    "CDC101": "ALTER TABLE {subject} ADD PRIMARY KEY (id);\n-- or, if no key exists:\n"
    "ALTER TABLE {subject} REPLICA IDENTITY FULL;",
    "CDC001": "ALTER SYSTEM SET wal_level = logical;\n-- needs a restart",
    "CDC301": "SELECT pg_drop_replication_slot('{subject}');",
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
        fix=FIXES.get(code, "").format(subject=subject) or None,
        waived=waived,
        waiver_reason=waiver_reason,
        why=WHY,
        references=[
            "https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-REPLICA-IDENTITY",
            "javascript:alert(1)",
        ],
    )


def build(
    findings: list[ReportFinding],
    *,
    labels: dict[str, str] | None = None,
    estimates: dict[str, Any] | None = None,
    not_evaluated: list[NotEvaluatedItem] | None = None,
    collection_issues: list[dict[str, str | None]] | None = None,
    host: str = "orders-db.cluster-abc123.eu-west-1.rds.amazonaws.com",
    **extra: Any,
) -> Report:
    findings = sorted(findings, key=lambda f: (f.severity.rank, f.code, f.subject))
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
        estimates=estimates
        if estimates is not None
        else {
            "wal_rate": {"bytes_per_second": 1_843_200, "method": "lsn_delta", "window_s": 300},
            "tables": [
                {"name": "public.orders", "rows": 120_000},
                {"name": HOSTILE["script"], "rows": 3},
            ],
        },
        labels=labels if labels is not None else {"scenario": "demo"},
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
