"""``cdc-preflight fleet``: load the fleet file, pick the shard, run the audits, write the summary.

Everything that can be refused is refused before the first target is contacted: the fleet
file (:mod:`audit.fleet.config`), ``--shard``, ``--history`` (opened once here, which also
creates its tables before the children race to), and ``--out`` (a second fleet run into the
same directory at once is refused by a lock, ``.fleet.lock``). fleet.json, fleet.csv and
fleet.html are written when the run ends, also when it was interrupted.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.collect.errors import mask_passwords
from audit.files import write_atomic
from audit.fleet.config import FleetConfigError, load_fleet
from audit.fleet.page import render_html
from audit.fleet.runner import Outcome, RunOptions, Status, run_fleet
from audit.fleet.shard import ShardError, parse_shard
from audit.fleet.summary import fleet_document, render_csv, render_json, target_entry
from audit.history.store import HistoryError, open_store

LOCK_NAME = ".fleet.lock"


class FleetUsageError(ValueError):
    """The fleet cannot start as asked; one line, exit 2."""


class FleetError(RuntimeError):
    """The fleet could not run or write its summary; one line, exit 3."""


@dataclass(frozen=True)
class FleetRequest:
    fleet_file: Path
    out: Path
    concurrency: int
    shard: str | None = None
    history: str | None = None
    fail_on: str = "critical"
    fail_on_new: str | None = None


def run(request: FleetRequest, say: Callable[[str], None]) -> int:
    """Run the fleet; its exit code (see :mod:`audit.fleet.summary`)."""
    try:
        plans = load_fleet(request.fleet_file)
        shard = parse_shard(request.shard) if request.shard is not None else None
    except (FleetConfigError, ShardError) as exc:
        raise FleetUsageError(str(exc)) from None
    chosen = [p for p in plans if shard is None or shard.holds(p.name)]
    if request.fail_on_new is not None and request.history is None:
        raise FleetUsageError("--fail-on-new needs --history LOCATION (new since the last run)")
    _check_history(request.history)
    with _locked(request.out):
        where = f" (shard {shard}: {len(chosen)} of {len(plans)})" if shard else ""
        say(f"Fleet: {len(chosen)} target(s){where}, {request.concurrency} at a time")
        options = RunOptions(
            out=request.out,
            concurrency=request.concurrency,
            history=request.history,
            fail_on=request.fail_on,
            fail_on_new=request.fail_on_new,
        )
        entries: dict[str, dict[str, Any]] = {}

        def done(outcome: Outcome) -> None:
            entry = target_entry(outcome, request.out)
            entries[outcome.plan.name] = entry
            say(f"[{len(entries)}/{len(chosen)}] {_line(entry)}")

        fleet_run = run_fleet(chosen, options, done)
        ordered = [
            entries.get(o.plan.name) or target_entry(o, request.out) for o in fleet_run.outcomes
        ]
        document = fleet_document(
            fleet_run,
            ordered,
            fleet_file=request.fleet_file,
            concurrency=request.concurrency,
            shard=shard,
            history=None if request.history is None else mask_passwords(request.history),
            total_targets=len(plans),
        )
        _write(request.out, document, ordered)
    say(_closing(document, request.out))
    return int(document["exit_code"])


def _check_history(location: str | None) -> None:
    if location is None:
        return
    try:
        open_store(location).close()
    except HistoryError as exc:
        message = mask_passwords(str(exc))
        raise (FleetUsageError(message) if exc.usage else FleetError(message)) from None


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = (out / LOCK_NAME).open("a")
    except OSError as exc:
        raise FleetUsageError(f"--out {out}: {exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FleetUsageError(
                f"--out {out}: another fleet run is writing there; wait for it or choose "
                "another directory"
            ) from None
        yield


def _write(out: Path, document: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    try:
        write_atomic(out / "fleet.json", render_json(document).encode())
        write_atomic(out / "fleet.csv", render_csv(entries).encode())
        write_atomic(out / "fleet.html", render_html(document).encode())
    except OSError as exc:
        raise FleetError(f"cannot write the fleet summary in {out}: {exc.strerror or exc}") from exc


def _line(entry: dict[str, Any]) -> str:
    seconds = f" in {entry['seconds']:.1f} s" if entry["seconds"] is not None else ""
    if entry["status"] == Status.AUDITED.value:
        counts = entry["counts"] or {}
        found = ", ".join(f"{n} {s}" for s, n in counts.items() if n and s != "waived")
        verdict = str(entry["verdict"]).replace("_", " ").upper()
        return f"{entry['name']}: {verdict} ({found or 'no findings'}){seconds}"
    return f"{entry['name']}: {entry['status'].replace('_', ' ')}{seconds}: {entry['error']}"


def _closing(document: dict[str, Any], out: Path) -> str:
    totals = document["totals"]
    parts = [f"{totals['audited']} audited", f"{totals['failed']} could not be audited"]
    if totals["interrupted"] or totals["not_run"]:
        parts.append(f"{totals['interrupted']} interrupted, {totals['not_run']} not run")
    return f"Fleet: {', '.join(parts)}; summary in {out / 'fleet.html'} (and fleet.json, fleet.csv)"


__all__ = ["FleetError", "FleetRequest", "FleetUsageError", "run"]
