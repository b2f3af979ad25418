"""The remediation plan: the findings' fixes, ordered by change window, and rendered.

Every fix is data (:class:`audit.remedy.Fix`): steps with their form and change window. This
module decides nothing about them; it orders and renders:

- a finding lands in its fix's window (the most disruptive of its steps); windows come in the
  order a change board runs them: online, reload, restart, writer reboot, then the changes
  that need application coordination;
- within a window, steps go by worst severity, then rule code;
- a step that restarts or reboots an instance (``Step.restarts``) runs once per instance, at
  the end of the last window that needs it: one reboot applies every change staged before it.

``remediation.sql`` holds the SQL steps (notes as comments), ``remediation-aws.sh`` the AWS
CLI and shell steps. Neither runs anything by itself: the SQL file stops psql at its first
line, and the shell script prints its commands unless given ``--execute``, then asks before
each one.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache

from audit.engine import Severity
from audit.remedy import ChangeWindow, Fix, StepKind
from audit.remedy import Step as FixStep
from audit.report.model import Report, ReportFinding

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")

WINDOW_ORDER = (
    ChangeWindow.ONLINE,
    ChangeWindow.RELOAD,
    ChangeWindow.RESTART,
    ChangeWindow.WRITER_REBOOT,
    ChangeWindow.COORDINATION,
)

WINDOW_TITLES = {
    ChangeWindow.ONLINE: "Online: no restart",
    ChangeWindow.RELOAD: "Reload: applies without a restart",
    ChangeWindow.RESTART: "Needs a restart",
    ChangeWindow.WRITER_REBOOT: "Needs a writer reboot",
    ChangeWindow.COORDINATION: "Needs application coordination",
}

WINDOW_NOTES = {
    ChangeWindow.ONLINE: "Can run at any time: no restart, and locks (if any) are brief.",
    ChangeWindow.RELOAD: (
        "Applies at a configuration reload (pg_reload_conf, or an RDS/Aurora parameter applied "
        "immediately): no restart, no lock."
    ),
    ChangeWindow.RESTART: (
        "Applies only when the server (or RDS instance) restarts. Stage every step, then "
        "restart each instance once, at the end of the window."
    ),
    ChangeWindow.WRITER_REBOOT: (
        "Applies only when the Aurora writer reboots: a brief outage of the writer. Stage "
        "every step, then reboot once, at the end of the window."
    ),
    ChangeWindow.COORDINATION: (
        "Takes a lock on a busy table, or changes what applications or connectors see: agree "
        "a time with their owners."
    ),
}

#: Why a step is in its window, by window.
WINDOW_WHY = {
    ChangeWindow.ONLINE: "no restart, no long lock",
    ChangeWindow.RELOAD: "applies at a configuration reload",
    ChangeWindow.RESTART: "applies only when the server or instance restarts",
    ChangeWindow.WRITER_REBOOT: "applies only when the writer reboots",
    ChangeWindow.COORDINATION: "locks a table, or changes what applications or consumers see",
}


@dataclass(frozen=True)
class Action:
    """One finding's fix."""

    code: str
    severity: Severity
    subject: str
    message: str
    fix: Fix

    @property
    def work(self) -> list[FixStep]:
        """The steps to run here; restarts and reboots are gathered at the end of a window."""
        return [s for s in self.fix.steps if s.restarts is None]


@dataclass(frozen=True)
class Step:
    number: int
    window: ChangeWindow
    code: str
    title: str
    severity: Severity
    why: str
    actions: list[Action]


@dataclass(frozen=True)
class WindowPlan:
    window: ChangeWindow
    title: str
    note: str
    steps: list[Step]
    restarts: list[FixStep] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    windows: list[WindowPlan]
    without_fix: list[ReportFinding]
    waived: int

    @property
    def steps(self) -> list[Step]:
        return [s for w in self.windows for s in w.steps]

    @property
    def actions(self) -> int:
        return sum(len(s.actions) for s in self.steps)

    def applied_by(self, restart: FixStep) -> list[Action]:
        """The findings whose fixes the restart or reboot ``restart`` applies."""
        return [
            a
            for step in self.steps
            for a in step.actions
            if any(s.restarts == restart.restarts for s in a.fix.steps)
        ]

    @property
    def fix_steps(self) -> list[FixStep]:
        """Every step of every fix in the plan, restarts once each."""
        work = [s for step in self.steps for a in step.actions for s in a.work]
        return work + [r for w in self.windows for r in w.restarts]


def why(fix: Fix) -> str:
    """Why the fix is in its window: what its most disruptive step does."""
    return WINDOW_WHY[fix.window]


_SHARED_PLANS: ContextVar[dict[int, tuple[Report, Plan]] | None] = ContextVar(
    "shared_plans", default=None
)


@contextmanager
def shared_plans() -> Iterator[None]:
    """Within it, the plan of a report is built once and shared by the documents rendered
    from it (report.html, report.md, remediation.sql, remediation-aws.sh); outside it, each
    call builds its own."""
    token = _SHARED_PLANS.set({})
    try:
        yield
    finally:
        _SHARED_PLANS.reset(token)


def build_plan(report: Report) -> Plan:
    """Unwaived findings with a fix, as numbered steps: window, then worst severity, then code."""
    shared = _SHARED_PLANS.get()
    if shared is None:
        return _build_plan(report)
    key = id(report)  # the entry holds the report: its id is not reused meanwhile
    if key not in shared:
        shared[key] = (report, _build_plan(report))
    return shared[key][1]


def _build_plan(report: Report) -> Plan:
    by_step: dict[tuple[ChangeWindow, str], list[tuple[ReportFinding, Fix]]] = {}
    without_fix: list[ReportFinding] = []
    for finding in report.findings:
        if finding.waived:
            continue
        if finding.fix is None:
            without_fix.append(finding)
            continue
        by_step.setdefault((finding.fix.window, finding.code), []).append((finding, finding.fix))
    windows: list[WindowPlan] = []
    number = 0
    for window in WINDOW_ORDER:
        keys = sorted(
            (k for k in by_step if k[0] is window),
            key=lambda k: (min(f.severity.rank for f, _ in by_step[k]), k[1]),
        )
        steps = []
        for key in keys:
            items = sorted(by_step[key], key=lambda item: (item[0].severity.rank, item[0].subject))
            number += 1
            first = items[0][0]
            steps.append(
                Step(
                    number=number,
                    window=window,
                    code=first.code,
                    title=first.title,
                    severity=min((f.severity for f, _ in items), key=lambda s: s.rank),
                    why=why(items[0][1]),
                    actions=[Action(f.code, f.severity, f.subject, f.message, x) for f, x in items],
                )
            )
        windows.append(WindowPlan(window, WINDOW_TITLES[window], WINDOW_NOTES[window], steps))
    return Plan(
        windows=_with_restarts(windows),
        without_fix=without_fix,
        waived=sum(1 for f in report.findings if f.waived),
    )


def _with_restarts(windows: list[WindowPlan]) -> list[WindowPlan]:
    """Each instance's restart once, at the end of the last window whose steps need it."""
    last: dict[str, tuple[int, FixStep]] = {}
    for index, window in enumerate(windows):
        for step in window.steps:
            for action in step.actions:
                for fix_step in action.fix.steps:
                    if fix_step.restarts is not None:
                        last[fix_step.restarts] = (index, fix_step)
    return [
        WindowPlan(
            w.window,
            w.title,
            w.note,
            w.steps,
            [s for i, s in last.values() if i == index],
        )
        for index, w in enumerate(windows)
    ]


# -- files -----------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Text safe inside a ``--`` or ``#`` comment: control characters cannot end the line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def comment(text: str, mark: str = "--", width: int = 90) -> list[str]:
    """``text`` as comment lines of at most ``width`` characters."""
    return list(_comment_lines(text, mark, width))


@lru_cache(maxsize=1024)
def _comment_lines(text: str, mark: str, width: int) -> tuple[str, ...]:
    # a plan on 50,000 tables wraps the same few notes thousands of times (textwrap is slow)
    return tuple(
        f"{mark} {line}"
        for raw in text.splitlines() or [""]
        for line in textwrap.wrap(one_line(raw), width - len(mark) - 1) or [""]
    )


def sql_lines(fix_step: FixStep) -> list[str]:
    """One step of a fix in remediation.sql: SQL as written, a note as comments."""
    if fix_step.kind is StepKind.SQL:
        lines = fix_step.text.splitlines()
    elif fix_step.kind is StepKind.NOTE:
        lines = comment(fix_step.text)
    else:
        return []
    if fix_step.comment:
        lines += comment(fix_step.comment)
    return lines


def _restart_sql(fix_step: FixStep) -> list[str]:
    if fix_step.kind is StepKind.AWS_CLI:
        lines = comment(f"reboot {fix_step.restarts} (remediation-aws.sh): {fix_step.text}")
    else:
        lines = comment(fix_step.text)
    return lines + (comment(fix_step.comment) if fix_step.comment else [])


def _applies(plan: Plan, restart: FixStep) -> str:
    applied = ", ".join(f"{a.code} {a.subject}" for a in plan.applied_by(restart))
    return f"applies: {applied}"


def render_sql(report: Report, target: str) -> str:
    """remediation.sql: every step, SQL as written and notes as comments."""
    plan = build_plan(report)
    lines = [
        "-- remediation.sql: the remediation plan of a cdc-preflight report, as SQL.",
        f"-- Target: {one_line(target)}",
        f"-- Report {report.report_id}, facts collected {report.generated_at.isoformat()}, "
        f"facts SHA-256 {report.facts_sha256}",
        "--",
        "-- A runbook, not a script: review each step, then run the ones you chose, one at a",
        "-- time. Some steps offer alternatives, some need a restart or a lock. AWS CLI and",
        "-- shell steps are in remediation-aws.sh. Placeholders such as <key columns> must be",
        "-- filled in.",
        "--",
        "-- psql stops at the next line, so the file cannot run as a whole by accident.",
        r"\echo 'remediation.sql is a runbook: copy the steps you chose into psql one at a time.'",
        r"\quit",
        "",
    ]
    if not plan.steps:
        lines.append("-- No unwaived finding has a fix: nothing to change.")
    for window in plan.windows:
        if not window.steps and not window.restarts:
            continue
        bar = "-- " + "=" * 76
        lines += [bar, f"-- {window.title.upper()}", *comment(window.note), bar, ""]
        for step in window.steps:
            title = one_line(step.title)
            lines.append(f"-- Step {step.number}. {step.code} ({step.severity.value}): {title}")
            lines += comment(f"Window: {step.why}")
            for action in step.actions:
                lines.append(
                    f"-- {action.code} {one_line(action.subject)}: {one_line(action.message)}"
                )
                for fix_step in action.work:
                    lines += sql_lines(fix_step)
                if any(s.kind in (StepKind.AWS_CLI, StepKind.SHELL) for s in action.work):
                    lines.append("-- (its AWS CLI / shell steps are in remediation-aws.sh)")
            lines.append("")
        if window.restarts:
            lines.append("-- Then, once, after every step above:")
            for restart in window.restarts:
                lines += _restart_sql(restart) + comment(_applies(plan, restart))
            lines.append("")
    if plan.without_fix:
        lines.append(f"-- {len(plan.without_fix)} finding(s) have no fix; see the report:")
        lines += [f"--   {f.code} {one_line(f.subject)}" for f in plan.without_fix]
    if plan.waived:
        lines.append(f"-- {plan.waived} waived finding(s) are left out.")
    return "\n".join(lines).rstrip() + "\n"


_SCRIPT_HEAD = """\
#!/usr/bin/env bash
# remediation-aws.sh: the AWS CLI and shell steps of a cdc-preflight remediation plan.
# Target: {target}
# Report {report_id}, facts collected {generated_at}
#
# Nothing runs by default: without --execute this script only prints the commands.
# With --execute it asks before each one. Commands with placeholders (<...>) are never run:
# edit them first. Reboots come last in their window: one reboot applies every change above.
set -euo pipefail

EXECUTE=no
if [[ "${{1:-}}" == "--execute" ]]; then
  EXECUTE=yes
fi

run() {{
  printf '\\n$'
  printf ' %q' "$@"
  printf '\\n'
  if [[ "$EXECUTE" != yes ]]; then
    echo "  (not run: pass --execute to be asked)"
    return 0
  fi
  local answer
  read -r -p "  Run it? [y/N] " answer
  if [[ "$answer" == [yY] ]]; then
    "$@"
  else
    echo "  skipped"
  fi
}}

edit_first() {{
  printf '\\n# edit first, then run by hand:'
  printf ' %q' "$@"
  printf '\\n'
}}
"""


def invocation(fix_step: FixStep) -> list[str]:
    """A command step as a call of ``run`` (or ``edit_first`` with placeholders), re-quoted
    word by word so nothing in it reaches the shell's parser; its comment after it."""
    try:
        words = shlex.split(fix_step.text)
    except ValueError:
        return comment(f"not a shell command: {fix_step.text}", "#")
    call = "edit_first" if fix_step.has_placeholder else "run"
    lines = [f"{call} {shlex.join(words)}"]
    return lines + (comment(fix_step.comment, "#") if fix_step.comment else [])


def _is_command(fix_step: FixStep) -> bool:
    return fix_step.kind in (StepKind.AWS_CLI, StepKind.SHELL)


def render_aws_script(report: Report, target: str) -> str | None:
    """remediation-aws.sh, or None when no step is an AWS CLI or shell command."""
    plan = build_plan(report)
    if not any(_is_command(s) for s in plan.fix_steps):
        return None
    body: list[str] = []
    seen: set[str] = set()
    for window in plan.windows:
        section: list[str] = []
        for step in window.steps:
            step_lines: list[str] = []
            for action in step.actions:
                commands = [s for s in action.work if _is_command(s) and s.text not in seen]
                if not commands:
                    continue
                seen.update(s.text for s in commands)
                step_lines.append(
                    f"# {action.code} {one_line(action.subject)}: {one_line(action.message)}"
                )
                for fix_step in action.work:
                    if fix_step.kind is StepKind.NOTE:
                        step_lines += comment(fix_step.text, "#")
                    elif fix_step in commands:
                        step_lines += invocation(fix_step)
            if step_lines:
                section.append(f"# Step {step.number}. {step.code}: {one_line(step.title)}")
                section += step_lines
                section.append("")
        reboots = [r for r in window.restarts if _is_command(r)]
        if reboots:
            section.append("# Reboot once, after every change above in this window:")
            for reboot in reboots:
                section += comment(_applies(plan, reboot), "#") + invocation(reboot)
            section.append("")
        if section:
            bar = "# " + "=" * 76
            body += [bar, f"# {window.title.upper()}", *comment(window.note, "#"), bar, ""]
            body += section
    head = _SCRIPT_HEAD.format(
        target=one_line(target),
        report_id=report.report_id,
        generated_at=report.generated_at.isoformat(),
    )
    return head + "\n" + "\n".join(body).rstrip() + "\n"
