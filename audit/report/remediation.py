"""The remediation plan: the findings' fixes as ordered steps, grouped by change window.

A change board schedules work by what it disrupts, so every fix lands in one window:

- **online**: runs any time; no restart, and any lock is brief;
- **restart**: applies only when the server restarts or the writer reboots (postmaster
  settings, static RDS/Aurora parameters); one restart at the end applies every step;
- **coordination**: takes a lock or changes what applications see (a primary key, a replica
  identity, a rewrite, a slot or connector someone else owns): agree a time with its owners.

The window comes from an explicit table of rule codes (:data:`RULE_WINDOWS`), and from the
fix text for what the table does not decide (a rule added later, a fix that reboots on one
platform and reloads on another). When both speak, the more disruptive window wins
(restart > coordination > online): a step that needs a reboot cannot run outside one.

``remediation.sql`` and ``remediation-aws.sh`` are written from the same plan. Neither runs
anything by itself: the SQL file stops psql at its first line, and the shell script prints
its commands unless given ``--execute``, then asks before each one.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from dataclasses import dataclass
from enum import StrEnum

from audit.engine import Severity
from audit.report.model import Report, ReportFinding


class Window(StrEnum):
    ONLINE = "online"
    RESTART = "restart"
    COORDINATION = "coordination"


WINDOW_ORDER = (Window.ONLINE, Window.RESTART, Window.COORDINATION)
_RANK = {Window.ONLINE: 0, Window.COORDINATION: 1, Window.RESTART: 2}

WINDOW_TITLES = {
    Window.ONLINE: "Online: no restart",
    Window.RESTART: "Needs a restart or writer reboot",
    Window.COORDINATION: "Needs application coordination",
}

WINDOW_NOTES = {
    Window.ONLINE: "Can run at any time: no restart, and locks (if any) are brief.",
    Window.RESTART: (
        "Applies only when the server restarts (RDS/Aurora: the writer reboots). Stage every "
        "step, then restart once at the end of the window."
    ),
    Window.COORDINATION: (
        "Takes a lock on a busy table, or changes what applications or connectors see: agree "
        "a time with their owners."
    ),
}

#: Rule code -> (window, why). Rules not listed here are placed by their fix text.
RULE_WINDOWS: dict[str, tuple[Window, str]] = {
    "CDC001": (Window.RESTART, "wal_level is a postmaster setting: it applies at server start"),
    "CDC002": (Window.RESTART, "max_replication_slots applies at server start"),
    "CDC003": (Window.RESTART, "max_wal_senders applies at server start"),
    "CDC006": (Window.COORDINATION, "a major version upgrade is a project of its own"),
    "CDC010": (Window.COORDINATION, "the connector must be pointed at another server"),
    "CDC011": (Window.COORDINATION, "the consumer of the slot must be stopped first"),
    "CDC101": (Window.COORDINATION, "a primary key or replica identity change locks the table"),
    "CDC102": (Window.COORDINATION, "a replica identity change locks the table"),
    "CDC103": (Window.COORDINATION, "SET LOGGED rewrites the table under an exclusive lock"),
    "CDC104": (Window.COORDINATION, "consumers must handle the placeholders, or FULL is set"),
    "CDC107": (Window.COORDINATION, "adding a primary key locks the table"),
    "CDC110": (Window.COORDINATION, "moving large objects changes the application"),
    "CDC111": (Window.COORDINATION, "sequence values are set at cut-over"),
    "CDC115": (Window.COORDINATION, "re-adding a table to a publication changes what is sent"),
    "CDC205": (Window.COORDINATION, "the slot belongs to another consumer"),
    "CDC303": (Window.COORDINATION, "ending another session needs its owner's agreement"),
    "CDC304": (Window.COORDINATION, "a prepared transaction belongs to its transaction manager"),
    "CDC305": (Window.COORDINATION, "ending another session needs its owner's agreement"),
    "CDC401": (Window.COORDINATION, "leaving Serverless v1 is a migration"),
    "CDC402": (Window.RESTART, "rds.logical_replication is static: the writer must reboot"),
    "CDC403": (Window.RESTART, "the writer must reboot to apply rds.logical_replication"),
    "CDC404": (Window.RESTART, "the reader must reboot to apply its parameter groups"),
    "CDC405": (Window.RESTART, "a static parameter applies at the next reboot"),
    "CDC406": (Window.RESTART, "toggling it needs a writer reboot and invalidates every slot"),
    "CDC410": (Window.COORDINATION, "slots are dropped with the connectors stopped"),
    "CDC501": (Window.COORDINATION, "a replica identity change locks the table"),
    "CDC505": (Window.COORDINATION, "a replica identity change locks the table"),
}

_RESTART_TEXT = re.compile(
    r"reboot-db-instance|restart the server|pg_ctl restart|at server start|needs a restart",
    re.IGNORECASE,
)
_COORDINATION_TEXT = re.compile(
    r"ALTER\s+TABLE\b[^;]*\b(REPLICA\s+IDENTITY|ADD\s+PRIMARY\s+KEY|SET\s+LOGGED|ADD\s+COLUMN)"
    r"|pg_terminate_backend|ALTER\s+PUBLICATION\b[^;]*\bDROP\s+TABLE",
    re.IGNORECASE,
)

_SQL_START = re.compile(
    r"^(ALTER|ANALYZE|BEGIN|COMMIT|COMMENT|CREATE|DELETE|DROP|GRANT|INSERT|REINDEX|RESET|REVOKE|"
    r"ROLLBACK|SELECT|SET|TRUNCATE|UPDATE|VACUUM|WITH|FROM|WHERE|AND|OR|ORDER|GROUP|LIMIT|\)|"
    r"JOIN|LEFT|ON|UNION|CALL|DO|COPY|LOCK|SHOW)\b",
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_PLACEHOLDER = re.compile(r"<[^<>]+>")


@dataclass(frozen=True)
class Action:
    """One finding's fix."""

    code: str
    severity: Severity
    subject: str
    message: str
    fix: str


@dataclass(frozen=True)
class Step:
    number: int
    window: Window
    code: str
    title: str
    severity: Severity
    why: str
    actions: list[Action]


@dataclass(frozen=True)
class WindowPlan:
    window: Window
    title: str
    note: str
    steps: list[Step]


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


def classify(code: str, fix: str) -> tuple[Window, str]:
    """The change window of a fix, and why (see the module docstring)."""
    candidates: list[tuple[Window, str]] = []
    if code in RULE_WINDOWS:
        candidates.append(RULE_WINDOWS[code])
    if _RESTART_TEXT.search(fix):
        candidates.append((Window.RESTART, "the fix restarts the server or reboots an instance"))
    if _COORDINATION_TEXT.search(fix):
        candidates.append(
            (Window.COORDINATION, "the fix changes a table or ends a session others use")
        )
    if not candidates:
        return Window.ONLINE, "no restart, no long lock"
    return max(candidates, key=lambda c: _RANK[c[0]])


def build_plan(report: Report) -> Plan:
    """Unwaived findings with a fix, as numbered steps: window, then worst severity, then code."""
    by_step: dict[tuple[Window, str], list[tuple[ReportFinding, str]]] = {}
    without_fix: list[ReportFinding] = []
    for finding in report.findings:
        if finding.waived:
            continue
        if not finding.fix or not finding.fix.strip():
            without_fix.append(finding)
            continue
        window, why = classify(finding.code, finding.fix)
        by_step.setdefault((window, finding.code), []).append((finding, why))
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
                    why=items[0][1],
                    actions=[
                        Action(f.code, f.severity, f.subject, f.message, f.fix or "")
                        for f, _ in items
                    ],
                )
            )
        windows.append(WindowPlan(window, WINDOW_TITLES[window], WINDOW_NOTES[window], steps))
    return Plan(
        windows=windows,
        without_fix=without_fix,
        waived=sum(1 for f in report.findings if f.waived),
    )


# -- files -----------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Text safe inside a ``--`` or ``#`` comment: control characters cannot end the line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def comment(text: str, mark: str = "--", width: int = 90) -> list[str]:
    """``text`` as comment lines of at most ``width`` characters."""
    return [f"{mark} {line}" for line in textwrap.wrap(one_line(text), width - len(mark) - 1)]


def _is_shell(line: str) -> bool:
    return line.startswith(("aws ", "psql ", "pg_ctl ", "systemctl ", "sudo "))


def sql_lines(fix: str) -> list[str]:
    """A fix as lines of a SQL script: SQL as written, anything else as a comment.

    A line is SQL when it starts with an upper-case key word (the fixes write SQL that way),
    or continues a statement that has not ended with ``;``. Prose, shell and AWS CLI lines
    become comments, so running a step never runs an instruction meant for a person.
    """
    out = []
    open_statement = False
    for raw in fix.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("--"):
            out.append(line)
        elif stripped.startswith("#"):
            out.append("-- " + stripped.lstrip("#").strip())
        elif _is_shell(stripped):
            out.append("-- shell: " + stripped)
        elif open_statement or _SQL_START.match(stripped):
            out.append(line)
            code = stripped.split("--", 1)[0].rstrip()
            open_statement = bool(code) and not code.endswith(";")
            continue
        else:
            out.append("-- " + stripped)
        open_statement = False
    return out


def render_sql(report: Report, target: str) -> str:
    """remediation.sql: every step, SQL as written and everything else as comments."""
    plan = build_plan(report)
    lines = [
        "-- remediation.sql: the remediation plan of a cdc-preflight report, as SQL.",
        f"-- Target: {one_line(target)}",
        f"-- Report {report.report_id}, facts collected {report.generated_at.isoformat()}, "
        f"facts SHA-256 {report.facts_sha256}",
        "--",
        "-- A runbook, not a script: review each step, then run the ones you chose, one at a",
        "-- time. Some steps offer alternatives, some need a restart or a lock. Steps that are",
        "-- not SQL (shell, AWS CLI, connector settings) are comments. Placeholders such as",
        "-- <key columns> must be filled in.",
        "--",
        "-- psql stops at the next line, so the file cannot run as a whole by accident.",
        r"\echo 'remediation.sql is a runbook: copy the steps you chose into psql one at a time.'",
        r"\quit",
        "",
    ]
    if not plan.steps:
        lines.append("-- No unwaived finding has a fix: nothing to change.")
    for window in plan.windows:
        if not window.steps:
            continue
        rule = "-- " + "=" * 76
        lines += [rule, f"-- {window.title.upper()}", *comment(window.note), rule, ""]
        for step in window.steps:
            title = one_line(step.title)
            lines.append(f"-- Step {step.number}. {step.code} ({step.severity.value}): {title}")
            lines += comment(f"Window: {step.why}")
            for action in step.actions:
                lines.append(
                    f"-- {action.code} {one_line(action.subject)}: {one_line(action.message)}"
                )
                lines += sql_lines(action.fix)
            lines.append("")
        if window.window is Window.RESTART:
            lines += [
                "-- Then restart once, after every step above: pg_ctl restart or the service",
                "-- manager (self-managed), or reboot the instance / the writer (RDS, Aurora;",
                "-- see remediation-aws.sh).",
                "",
            ]
    if plan.without_fix:
        lines.append(f"-- {len(plan.without_fix)} finding(s) have no fix text; see the report:")
        lines += [f"--   {f.code} {one_line(f.subject)}" for f in plan.without_fix]
    if plan.waived:
        lines.append(f"-- {plan.waived} waived finding(s) are left out.")
    return "\n".join(lines).rstrip() + "\n"


@dataclass(frozen=True)
class ShellCommand:
    words: str
    comment: str
    placeholder: bool
    reboot: bool


def shell_command(line: str) -> ShellCommand | None:
    """An ``aws`` command re-quoted word by word: nothing in it can reach the shell's parser."""
    text = line.strip()
    comment = ""
    if "  # " in text:
        text, comment = text.split("  # ", 1)
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    if not words or words[0] != "aws":
        return None
    return ShellCommand(
        words=shlex.join(words),
        comment=one_line(comment),
        placeholder=any(_PLACEHOLDER.search(w) for w in words),
        reboot="reboot-db-instance" in words,
    )


_SCRIPT_HEAD = """\
#!/usr/bin/env bash
# remediation-aws.sh: the AWS CLI steps of a cdc-preflight remediation plan.
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


def render_aws_script(report: Report, target: str) -> str | None:
    """remediation-aws.sh, or None when no step has an AWS CLI command."""
    plan = build_plan(report)
    body: list[str] = []
    seen: set[str] = set()
    for window in plan.windows:
        section: list[str] = []
        reboots: list[ShellCommand] = []
        for step in window.steps:
            step_lines: list[str] = []
            for action in step.actions:
                commands = []
                notes = []
                for raw in action.fix.splitlines():
                    stripped = raw.strip()
                    command = shell_command(stripped) if stripped.startswith("aws ") else None
                    if command is None:
                        if stripped.startswith("#"):
                            notes.append("# " + one_line(stripped.lstrip("#").strip()))
                        continue
                    if command.reboot:
                        reboots.append(command)
                    elif command.words not in seen:
                        seen.add(command.words)
                        commands.append(command)
                if commands or notes:
                    step_lines.append(
                        f"# {action.code} {one_line(action.subject)}: {one_line(action.message)}"
                    )
                    step_lines += notes
                    step_lines += [_invocation(c) for c in commands]
            if step_lines:
                section.append(f"# Step {step.number}. {step.code}: {one_line(step.title)}")
                section += step_lines
                section.append("")
        unique_reboots = []
        for command in reboots:
            if command.words not in seen:
                seen.add(command.words)
                unique_reboots.append(command)
        if unique_reboots:
            section.append("# Reboot once, after every change above in this window:")
            section += [_invocation(c) for c in unique_reboots]
            section.append("")
        if section:
            bar = "# " + "=" * 76
            body += [bar, f"# {window.title.upper()}", *comment(window.note, "#"), bar, ""]
            body += section
    if not body:
        return None
    head = _SCRIPT_HEAD.format(
        target=one_line(target),
        report_id=report.report_id,
        generated_at=report.generated_at.isoformat(),
    )
    return head + "\n" + "\n".join(body).rstrip() + "\n"


def _invocation(command: ShellCommand) -> str:
    call = ("edit_first " if command.placeholder else "run ") + command.words
    return f"{call}  # {command.comment}" if command.comment else call
