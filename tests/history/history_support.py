"""Builders for the history tests: report.json documents edited from the demo sample, runs to
store, and the parallel writer used by the concurrency tests."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.history.store import NewRun, open_store

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_outputs" / "demo"
SAMPLE_REPORT = DEMO / "report.json"
SAMPLE_FACTS = DEMO / "facts.json"
T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def demo_report() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SAMPLE_REPORT.read_text())
    return document


def finding(document: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in document["findings"] if f["code"] == code)
    return found


def edited(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out.update(changes)
    return out


def new_run(
    report_id: str,
    *,
    target_id: str = "pg:1/shop",
    target_name: str = "db1:5432/shop",
    run_at: datetime = T0,
    profile: str = "debezium",
    report: bytes | None = None,
    facts: bytes | None = None,
) -> NewRun:
    document = report if report is not None else json.dumps({"report_id": report_id}).encode()
    return NewRun(
        report_id=report_id,
        target_id=target_id,
        target_name=target_name,
        profile=profile,
        run_at=run_at,
        verdict="not_ready",
        counts={"critical": 2, "high": 1},
        labels={"team": "payments"},
        tool_version="0.1.0",
        facts_sha256="0" * 64,
        report_json=document,
        facts_json=facts if facts is not None else b"{}",
    )


def write_runs(location: str, writer: int, runs: int, shared: int) -> list[float]:
    """One writer process: ``runs`` runs of its own and ``shared`` runs every writer also
    stores (the same report_id and target: must end up stored once). Returns the seconds each
    insert took. Real documents, so the timing and size are those of a demo run."""
    report = SAMPLE_REPORT.read_bytes()
    facts = SAMPLE_FACTS.read_bytes()
    timings: list[float] = []
    with open_store(location) as store:
        plan = [f"w{writer}-r{i}" for i in range(runs)] + [f"shared-{i}" for i in range(shared)]
        for n, report_id in enumerate(plan):
            run = new_run(
                report_id,
                target_id=f"pg:{n % 3}/shop",
                run_at=T0 + timedelta(minutes=n),
                report=report,
                facts=facts,
            )
            started = time.perf_counter()
            store.add(run)
            timings.append(time.perf_counter() - started)
    return timings
