"""``cdc-preflight history list`` and ``cdc-preflight diff``: registered by :mod:`audit.cli`."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from audit.engine import Severity
from audit.history.diff import diff_reports
from audit.history.documents import ReportFileError, read_report
from audit.history.render import render_markdown, render_text
from audit.history.store import HistoryError, StoredRun, open_store
from audit.suggest import closest

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_CANNOT = 0, 1, 2, 3

history_app = typer.Typer(
    help="The runs stored with --history.", no_args_is_help=True, rich_markup_mode=None
)


class ListFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class DiffFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MD = "md"


class NewSeverity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"
    NEVER = "never"


def fail(message: str, code: int) -> NoReturn:
    from audit.cli import fail as cli_fail

    cli_fail(message, code)


def history_failure(exc: HistoryError) -> NoReturn:
    fail(str(exc), EXIT_USAGE if exc.usage else EXIT_CANNOT)


HistoryArg = Annotated[
    str,
    typer.Option(
        "--history", help="The history: an SQLite file or a postgresql:// URL.", show_default=False
    ),
]


def _line(run: StoredRun) -> str:
    counts = " ".join(
        f"{run.counts.get(s.value, 0)}{s.value[0].upper()}"
        for s in Severity
        if s is not Severity.INFO
    )
    return (
        f"{run.run_at:%Y-%m-%d %H:%M}  {run.target_name:32}  {run.profile:9}  "
        f"{run.verdict:16}  {counts}  {run.report_id}  {run.target_id}"
    )


@history_app.command("list")
def history_list(
    history: HistoryArg,
    target: Annotated[
        str | None,
        typer.Option("--target", help="Only this target: its id or name (as listed)."),
    ] = None,
    fmt: Annotated[
        ListFormat, typer.Option("--format", help="text: one line per run; json: every field.")
    ] = ListFormat.TEXT,
) -> None:
    """List the stored runs, newest first."""
    try:
        with open_store(history, create=False) as store:
            runs = store.runs(target)
            if target is not None and not runs:
                known = {r.target_name for r in store.runs()} | {r.target_id for r in store.runs()}
                fail(
                    f"--target {target}: no runs of that target{closest(target, known)}", EXIT_USAGE
                )
    except HistoryError as exc:
        history_failure(exc)
    if fmt is ListFormat.JSON:
        typer.echo(json.dumps([r.as_json() for r in runs], indent=2))
        return
    for run in runs:
        typer.echo(_line(run))


def diff(
    before: Annotated[
        Path, typer.Argument(help="The baseline: a report.json or the output directory holding it.")
    ],
    after: Annotated[
        Path, typer.Argument(help="The later report: a report.json or its output directory.")
    ],
    fmt: Annotated[
        DiffFormat, typer.Option("--format", help="text, json (the changes block) or md.")
    ] = DiffFormat.TEXT,
    fail_on_new: Annotated[
        NewSeverity | None,
        typer.Option(
            "--fail-on-new",
            help="Exit 1 when a finding new in AFTER (or risen to it) is at or above this "
            "severity.",
        ),
    ] = None,
) -> None:
    """What changed between two reports: new, resolved and changed findings, and the figures."""
    try:
        changes = diff_reports(read_report(before), read_report(after), str(before))
    except ReportFileError as exc:
        fail(str(exc), EXIT_USAGE)
    if fmt is DiffFormat.JSON:
        typer.echo(changes.model_dump_json(indent=2))
    elif fmt is DiffFormat.MD:
        typer.echo(render_markdown(changes), nl=False)
    else:
        typer.echo(render_text(changes), nl=False)
    if fail_on_new not in (None, NewSeverity.NEVER):
        assert fail_on_new is not None
        raise typer.Exit(
            EXIT_FINDINGS if changes.regressions(Severity(fail_on_new.value)) else EXIT_OK
        )
