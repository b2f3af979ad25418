"""Run the audits of a fleet: each target in a child process of its own, N at a time.

Each child is ``python -m audit audit ...`` with the target's settings: the same pipeline,
output set, exit codes and history record as a single audit. Its stdout and stderr go to
``logs/<folder>.log`` in --out. A child runs in a session of its own, so the terminal's
Ctrl-C reaches only this process, which passes it on; it is stopped (SIGTERM, then SIGKILL
after a grace period) when its ``timeout_seconds`` pass, and a crash or a hang of one target
never holds up or ends the others.

The children inherit the environment (PGPASSWORD, PGSERVICEFILE, AWS credentials); libpq's
``PGCONNECT_TIMEOUT`` is set to 10 s unless the environment sets it, so a host that accepts
and never answers fails like a refused one instead of waiting for the timeout.

Interrupted (SIGINT or SIGTERM): the running children get the same signal (an audit
interrupted while sampling writes a partial report that says so), no new child starts, and
after the grace period any child left is killed; the outcome of every target is returned, the
unstarted ones as ``not_run``. A second signal ends the process at once and kills the
children first (see :mod:`audit.interrupt`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO

from audit import interrupt
from audit.fleet.config import TargetPlan

CONNECT_TIMEOUT_SECONDS = "10"
GRACE_SECONDS = 10.0
POLL_SECONDS = 0.1
EXIT_OK, EXIT_FINDINGS = 0, 1
INTERRUPTED_EXITS = (128 + signal.SIGINT, 128 + signal.SIGTERM)


class Status(StrEnum):
    AUDITED = "audited"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    NOT_RUN = "not_run"


@dataclass(frozen=True)
class RunOptions:
    """What every child gets besides its target's settings."""

    out: Path
    concurrency: int
    history: str | None = None
    fail_on: str = "critical"
    fail_on_new: str | None = None
    grace_seconds: float = GRACE_SECONDS


@dataclass
class Outcome:
    """How one target's audit ended; the report itself is read by :mod:`audit.fleet.summary`."""

    plan: TargetPlan
    status: Status
    exit_code: int | None = None
    error: str | None = None
    started_at: datetime | None = None
    seconds: float | None = None
    cpu_seconds: float | None = None
    peak_rss_bytes: int | None = None


@dataclass
class FleetRun:
    outcomes: list[Outcome]
    started_at: datetime
    ended_at: datetime
    interrupted: int | None = None  # the signal number


@dataclass
class _Child:
    plan: TargetPlan
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    started: float
    started_at: datetime
    deadline: float
    stopping: str | None = None  # why it is being stopped
    kill_at: float | None = None
    result: Outcome | None = field(default=None)


def audit_command(plan: TargetPlan, options: RunOptions) -> list[str]:
    """The child's command line: ``cdc-preflight audit`` with the target's settings."""
    args = [sys.executable, "-m", "audit", "audit", "--dsn", plan.dsn]
    args += ["--out", str(options.out / plan.folder), "--profile", plan.profile]
    args += ["--sample-seconds", f"{plan.sample_seconds:g}", "--interval", f"{plan.interval:g}"]
    args += ["--format", ",".join(plan.formats)]
    optional = {
        "--config": plan.config,
        "--tables": plan.tables,
        "--publication": plan.publication,
        "--aws-cluster-id": plan.aws_cluster_id,
        "--aws-instance-id": plan.aws_instance_id,
        "--aws-region": plan.aws_region,
        "--aws-profile": plan.aws_profile,
        "--history": options.history,
    }
    for flag, value in optional.items():
        if value is not None:
            args += [flag, str(value)]
    for key, value in sorted(plan.labels.items()):
        args += ["--label", f"{key}={value}"]
    if options.history is not None:
        args += ["--baseline", "last"]
    if options.fail_on_new is not None:
        args += ["--fail-on-new", options.fail_on_new]
    else:
        args += ["--fail-on", options.fail_on]
    if plan.iam_auth:
        args.append("--iam-auth")
    if not plan.read_probe:
        args.append("--no-read-probe")
    return args


def log_path(out: Path, plan: TargetPlan) -> Path:
    return out / "logs" / f"{plan.folder}.log"


def run_fleet(
    plans: Sequence[TargetPlan],
    options: RunOptions,
    on_done: Callable[[Outcome], None] = lambda outcome: None,
) -> FleetRun:
    """Audit every plan, ``options.concurrency`` at a time; the outcomes in plan order."""
    (options.out / "logs").mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC)
    pending = deque(plans)
    running: list[_Child] = []
    done: dict[str, Outcome] = {}
    env = {**os.environ}
    env.setdefault("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS)
    unregister = interrupt.on_second_signal(lambda: _signal_all(running, signal.SIGKILL))
    interrupted: int | None = None
    try:
        while pending or running:
            while pending and len(running) < options.concurrency:
                running.append(_start(pending.popleft(), options, env))
            _reap(running, done, on_done)
            _enforce_deadlines(running, options.grace_seconds)
            if running:
                time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        interrupted = interrupt.received() or signal.SIGINT
        _stop_all(running, done, on_done, interrupted, options.grace_seconds)
    finally:
        unregister()
    outcomes = [done.get(p.name) or Outcome(p, Status.NOT_RUN) for p in plans]
    return FleetRun(outcomes, started_at, datetime.now(UTC), interrupted)


def _start(plan: TargetPlan, options: RunOptions, env: dict[str, str]) -> _Child:
    log = log_path(options.out, plan).open("wb")
    now = time.monotonic()
    process = subprocess.Popen(
        audit_command(plan, options),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    return _Child(plan, process, log, now, datetime.now(UTC), now + plan.timeout_seconds)


def _reap(
    running: list[_Child], done: dict[str, Outcome], on_done: Callable[[Outcome], None]
) -> None:
    for child in list(running):
        outcome = _wait(child, block=False)
        if outcome is not None:
            running.remove(child)
            done[child.plan.name] = outcome
            on_done(outcome)


def _wait(child: _Child, *, block: bool) -> Outcome | None:
    """The child's outcome once it has exited (its CPU time and peak RSS from wait4)."""
    try:
        pid, status, usage = os.wait4(child.process.pid, 0 if block else os.WNOHANG)
    except ChildProcessError:  # already reaped: nothing more to learn about it
        pid, status, usage = child.process.pid, 255 << 8, None
    if pid == 0:
        return None
    child.process.returncode = os.waitstatus_to_exitcode(status)
    child.log.close()
    code = child.process.returncode
    outcome = Outcome(
        plan=child.plan,
        status=_status(code, child.stopping),
        exit_code=code,
        started_at=child.started_at,
        seconds=time.monotonic() - child.started,
        cpu_seconds=None if usage is None else usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=None if usage is None else usage.ru_maxrss * 1024,  # Linux: KiB
    )
    if outcome.status is not Status.AUDITED:
        outcome.error = child.stopping or _error_line(child.log.name, code)
    return outcome


def _status(code: int | None, stopping: str | None) -> Status:
    if stopping is not None and stopping.startswith("interrupted"):
        return Status.INTERRUPTED
    if stopping is not None:
        return Status.FAILED
    if code in (EXIT_OK, EXIT_FINDINGS):
        return Status.AUDITED
    if code in INTERRUPTED_EXITS:
        return Status.INTERRUPTED
    return Status.FAILED


def _error_line(log: str | int, code: int | None) -> str:
    """The child's own one-line error (its last ``cdc-preflight:`` line), else its exit."""
    text = ""
    with contextlib.suppress(OSError), open(log, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - 16_384))
        text = handle.read().decode("utf-8", "replace")
    said = [line for line in text.splitlines() if line.startswith("cdc-preflight: ")]
    if said:
        return said[-1].removeprefix("cdc-preflight: ").strip()
    if code is not None and code < 0:
        return f"the audit process died of {signal.Signals(-code).name}"
    return f"the audit process exited with code {code} and said nothing"


def _enforce_deadlines(running: list[_Child], grace: float) -> None:
    now = time.monotonic()
    for child in running:
        if child.stopping is None and now >= child.deadline:
            child.stopping = (
                f"no result within timeout_seconds = {child.plan.timeout_seconds:g}: stopped"
            )
            _signal(child, signal.SIGTERM)
            child.kill_at = now + grace
        elif child.kill_at is not None and now >= child.kill_at:
            _signal(child, signal.SIGKILL)
            child.kill_at = None


def _stop_all(
    running: list[_Child],
    done: dict[str, Outcome],
    on_done: Callable[[Outcome], None],
    signum: int,
    grace: float,
) -> None:
    """Pass the interrupt on, wait up to ``grace`` seconds, then kill what is left."""
    name = signal.Signals(signum).name
    for child in running:
        if child.stopping is None:
            child.stopping = f"interrupted by {name}"
        _signal(child, signal.Signals(signum))
    until = time.monotonic() + grace
    while running and time.monotonic() < until:
        _reap(running, done, on_done)
        if running:
            time.sleep(POLL_SECONDS)
    _signal_all(running, signal.SIGKILL)
    for child in list(running):
        outcome = _wait(child, block=True)
        assert outcome is not None
        running.remove(child)
        done[child.plan.name] = outcome
        on_done(outcome)


def _signal_all(running: list[_Child], signum: signal.Signals) -> None:
    for child in running:
        _signal(child, signum)


def _signal(child: _Child, signum: signal.Signals) -> None:
    """Signal the child's whole session (the audit and anything it started)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.process.pid, signum)
