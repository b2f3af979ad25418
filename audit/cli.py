"""The command line: parsing and exit codes only; the work happens in the modules it calls.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage error;
3 could not audit (connection, authentication, unreadable input, fatal error); 130 (Ctrl-C)
or 143 (SIGTERM) interrupted (see audit.interrupt). Every error is one line on stderr, with
any password of the connection string masked.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from audit import __version__, interrupt
from audit.collect.errors import CollectError, hide_secrets, mask_passwords, secrets_in
from audit.config import AuditConfig, ConfigError, load_config
from audit.engine import Severity, all_rules, find_rule, get_profile
from audit.facts import Facts, FactsFileError, write_facts
from audit.facts.io import decode_facts, facts_sha256, read_facts_bytes
from audit.files import check_writable, write_atomic
from audit.history.baseline import BaselineError, HistoryOptions, HistoryRun, regressions_exit
from audit.history.commands import NewSeverity, diff, history_app
from audit.history.documents import ReportFileError
from audit.history.store import HistoryError
from audit.labels import parse_labels
from audit.outdir import OutputError, OutputSet, output_set
from audit.pipeline import DocumentInfo
from audit.pipeline import analyze as run_analysis
from audit.progress import Progress
from audit.report.model import Report
from audit.scope import ScopeError, scope_from_options

if TYPE_CHECKING:  # psycopg and boto3 are imported when collecting, not to analyze
    from audit.collect import AwsRequest
    from audit.collect.decoding_probe import ProbeRequest

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_CANNOT_AUDIT = 0, 1, 2, 3

app = typer.Typer(
    name="cdc-preflight",
    help="Audit PostgreSQL, RDS or Aurora PostgreSQL before change data capture.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts hold [brackets] (TOML tables): print them as written
)
rules_app = typer.Typer(
    help="List and explain the rules.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(rules_app, name="rules")
app.add_typer(history_app, name="history")
app.command("diff")(diff)


class ProfileName(StrEnum):
    DEBEZIUM = "debezium"
    DMS = "dms"
    NATIVE = "native"
    GENERIC = "generic"


class FailOn(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NEVER = "never"


class ListFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


REPORT_FORMATS = ("html", "pdf", "json", "md")
#: Also accepted by --format, never by default: junit.xml and metrics.prom for schedulers.
MACHINE_FORMATS = ("junit", "prom")
ALL_FORMATS = ",".join(REPORT_FORMATS)

DsnOpt = Annotated[
    str | None,
    typer.Option(
        "--dsn",
        help="libpq connection string or URI; omitted: PGHOST, PGPORT, PGUSER, PGDATABASE, "
        "PGSERVICE and ~/.pgpass apply.",
    ),
]
MAX_SAMPLE_SECONDS = 86_400.0  # 24 h
MIN_INTERVAL, MAX_INTERVAL = 0.2, 3_600.0


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number of seconds")
    return value


SampleOpt = Annotated[
    float,
    typer.Option(
        "--sample-seconds",
        min=0,
        max=MAX_SAMPLE_SECONDS,
        callback=_finite,
        help="How long to sample WAL and row-change rates, in seconds (0 to 86400).",
    ),
]
IntervalOpt = Annotated[
    float,
    typer.Option(
        "--interval",
        min=MIN_INTERVAL,
        max=MAX_INTERVAL,
        callback=_finite,
        help="Seconds between samples (0.2 to 3600).",
    ),
]
ProfileOpt = Annotated[
    ProfileName,
    typer.Option("--profile", help="The CDC consumer whose thresholds apply."),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Directory for the report files.")]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        help="Comma-separated report formats: html,pdf,json,md, and junit (junit.xml) or prom "
        "(metrics.prom, Prometheus text format).",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="cdc-preflight.toml, or a pyproject.toml with [tool.cdc-preflight]."
    ),
]
FailOnOpt = Annotated[
    FailOn, typer.Option("--fail-on", help="Exit 1 when a finding is at or above this severity.")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logging.")]
AwsClusterOpt = Annotated[
    str | None, typer.Option("--aws-cluster-id", help="Aurora cluster to read from the RDS API.")
]
AwsInstanceOpt = Annotated[
    str | None, typer.Option("--aws-instance-id", help="RDS instance to read from the RDS API.")
]
AwsRegionOpt = Annotated[str | None, typer.Option("--aws-region", help="AWS region.")]
AwsProfileOpt = Annotated[
    str | None, typer.Option("--aws-profile", help="Profile of the AWS credential chain.")
]
NoReadProbeOpt = Annotated[
    bool,
    typer.Option(
        "--no-read-probe",
        help="Skip the bounded keyset read of the largest tables that measures snapshot speed.",
    ),
]
ProbeDecodingOpt = Annotated[
    float,
    typer.Option(
        "--probe-decoding",
        metavar="SECONDS",
        min=0,
        max=600,
        help="Off by default; the one exception to read-only. On a server at wal_level=logical, "
        "create a TEMPORARY logical slot, let it hold SECONDS of WAL, decode that WAL without "
        "consuming it (pgoutput with --publication, else test_decoding) to measure the decode "
        "rate and the change stream, then drop the slot. Needs REPLICATION.",
    ),
]
IamAuthOpt = Annotated[
    bool,
    typer.Option("--iam-auth", help="Connect with an RDS IAM token (signed locally) as password."),
]
TablesOpt = Annotated[
    str | None,
    typer.Option(
        "--tables",
        help="Capture scope: comma-separated patterns on schema.table; a leading ! excludes "
        "(e.g. 'shop.*,!shop.session_cache'). Overrides [scope] in the config.",
    ),
]
PublicationOpt = Annotated[
    str | None,
    typer.Option("--publication", help="Capture scope: the tables this publication publishes."),
]
TitleOpt = Annotated[str | None, typer.Option("--title", help="Document title on the cover.")]
CustomerOpt = Annotated[
    str | None, typer.Option("--customer", help="Who the audit is for (cover, approval block).")
]
PreparedByOpt = Annotated[
    str | None, typer.Option("--prepared-by", help="Author shown in the approval block.")
]
ChangeRefOpt = Annotated[
    str | None,
    typer.Option(
        "--change-ref", help="Change request or ticket this report supports (approval block)."
    ),
]
TemplateDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--template-dir",
        help="Directory whose templates (report.html.j2, brand.css) override the packaged ones.",
        exists=True,
        file_okay=False,
    ),
]
HistoryOpt = Annotated[
    str | None,
    typer.Option(
        "--history",
        help="Store this run in a history: an SQLite file (created on first use) or a "
        "postgresql:// URL (tables created on first use).",
    ),
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(
        "--baseline",
        help="Add 'Changes since' to the report: 'last' (the previous run of this target in "
        "--history) or a report.json or output directory.",
    ),
]
KeepWeeksOpt = Annotated[
    int | None,
    typer.Option(
        "--keep-weeks",
        min=1,
        max=5200,
        help="Keep this target's runs of the last N weeks (before its newest) in --history.",
    ),
]
LabelOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--label",
        help="KEY=VALUE stored with the facts, the history and metrics.prom (repeatable), "
        "e.g. --label env=prod --label team=checkout.",
    ),
]


def _labels(values: list[str] | None) -> dict[str, str]:
    try:
        return parse_labels(values or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--label") from exc


FailOnNewOpt = Annotated[
    NewSeverity | None,
    typer.Option(
        "--fail-on-new",
        help="Exit 1 only when a finding new since --baseline (or risen since) is at or above "
        "this severity; replaces --fail-on.",
    ),
]


@dataclass(frozen=True)
class Output:
    """Where and how the report is written."""

    out: Path
    formats: list[str]
    profile: str
    config: Path | None = None
    template_dir: Path | None = None
    document: DocumentInfo = field(default_factory=DocumentInfo)
    tables: str | None = None
    publication: str | None = None
    fail_on: str | None = None


_STATE: dict[str, object] = {"debug": False, "stage": "start-up", "secrets": []}


def mask(text: str) -> str:
    """``text`` without the password of the connection string (--dsn, PGPASSWORD)."""
    return mask_passwords(hide_secrets(text, _secrets()))


def _secrets() -> list[str]:
    found = _STATE["secrets"]
    return found if isinstance(found, list) else []


def fail(message: str, code: int = EXIT_CANNOT_AUDIT) -> NoReturn:
    typer.echo(f"cdc-preflight: {mask(message)}", err=True)
    raise typer.Exit(code)


def parse_formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    accepted = REPORT_FORMATS + MACHINE_FORMATS
    unknown = [f for f in formats if f not in accepted]
    if unknown or not formats:
        fail(
            f"unknown report format {', '.join(unknown) or '(none)'}; "
            f"choose from {','.join(accepted)}",
            EXIT_USAGE,
        )
    return formats


class _Masking(logging.Filter):
    """Log records pass through :func:`mask` (libraries may log a connection string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        return True


def _setup_logging(debug: bool) -> None:
    _STATE["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_Masking())
    # an interrupt mid-query makes psycopg log the rollback it could not send; the run says
    # what happened in one line of its own (--debug shows psycopg's words)
    logging.getLogger("psycopg").setLevel(logging.DEBUG if debug else logging.ERROR)


def _stage(name: str) -> None:
    _STATE["stage"] = name


@dataclass(frozen=True)
class Source:
    """What to collect from: the database and, optionally, its AWS control plane."""

    dsn: str | None
    sample_seconds: float
    interval: float
    aws: AwsRequest | None = None
    iam_auth: bool = False
    read_probe: bool = True
    labels: dict[str, str] = field(default_factory=dict)
    decoding_probe: ProbeRequest | None = None


def aws_request(
    cluster_id: str | None, instance_id: str | None, region: str | None, profile: str | None
) -> AwsRequest:
    from audit.collect import AwsOptions, AwsRequest

    explicit = any(v is not None for v in (cluster_id, instance_id, region, profile))
    return AwsRequest(AwsOptions(cluster_id, instance_id, region, profile), explicit=explicit)


def _collect(source: Source) -> Facts:
    from audit.collect import IamAuthError, collect_facts, with_iam_token

    dsn = source.dsn
    if source.iam_auth:
        assert source.aws is not None
        try:
            dsn = with_iam_token(dsn, source.aws.options)
        except (IamAuthError, ValueError) as exc:
            fail(f"cannot audit: IAM authentication: {exc}")
    progress = Progress(total_seconds=source.sample_seconds)

    def report(message: str) -> None:
        _stage(message.split(":", 1)[0])
        progress.update(message)

    try:
        with progress:
            return collect_facts(
                dsn,
                sample_seconds=source.sample_seconds,
                interval=source.interval,
                progress=report,
                aws=source.aws,
                read_probe=source.read_probe,
                labels=source.labels,
                decoding_probe=source.decoding_probe,
            )
    except CollectError as exc:
        fail(f"cannot audit: {exc}")


def _probe_request(seconds: float, publication: str | None) -> ProbeRequest | None:
    """The decoding probe the user asked for, or None (the default: no probe)."""
    if not seconds:
        return None
    from audit.collect.decoding_probe import ProbeRequest

    try:
        return ProbeRequest(seconds=seconds, publication=publication)
    except ValueError as exc:
        fail(f"--probe-decoding: {exc}", EXIT_USAGE)


def _load_config(path: Path | None, tables: str | None, publication: str | None) -> AuditConfig:
    try:
        config = load_config(path, search_dir=Path.cwd() if path is None else None)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    if tables is None and publication is None:
        return config
    try:
        scope = scope_from_options(tables, publication)
    except ScopeError as exc:
        fail(str(exc), EXIT_USAGE)
    return config.model_copy(update={"scope": scope})


def _analyze(facts: Facts, sha256: str, output: Output) -> Report:
    _stage("analysis")
    config = _load_config(output.config, output.tables, output.publication)
    try:
        return run_analysis(
            facts,
            profile=get_profile(output.profile),
            config=config,
            facts_sha256=sha256,
            document=output.document,
            fail_on=output.fail_on,
        )
    except (ScopeError, ConfigError) as exc:  # no table in scope, no rule selected
        fail(str(exc), EXIT_USAGE)


def _write_reports(report: Report, outputs: OutputSet, output: Output) -> list[Path]:
    from audit.report import write_reports

    _stage("writing the report")
    assert outputs.staging is not None
    paths = write_reports(report, outputs.staging, output.formats, output.template_dir)
    return list(paths.values())


@contextmanager
def _outputs(out: Path) -> Iterator[OutputSet]:
    """The run's output set (see audit.outdir); its errors and interrupts are one line."""
    try:
        with output_set(out) as outputs:
            try:
                yield outputs
            except KeyboardInterrupt:
                interrupt.announce(
                    f"interrupted by {interrupt.signal_name()} during {_STATE['stage']}; "
                    f"{outputs.out} is unchanged"
                )
                raise
    except OutputError as exc:
        fail(str(exc), EXIT_USAGE if exc.usage else EXIT_CANNOT_AUDIT)


def _commit(outputs: OutputSet, interrupted: bool) -> Path:
    """Swap the new set in; an interrupted run does not replace an earlier complete set."""
    try:
        return outputs.commit(keep_earlier=interrupted)
    except OutputError as exc:
        fail(str(exc))


def _interrupted(facts: Facts) -> bool:
    return facts.sampling is not None and facts.sampling.interrupted


def _say_interrupted(facts: Facts, out: Path, where: Path) -> None:
    """The terminal's word on an interrupted run: what is partial and where it is."""
    assert facts.sampling is not None
    sampling = facts.sampling
    sampled = (sampling.ended_at - sampling.started_at).total_seconds()
    message = (
        f"interrupted by {interrupt.signal_name()} after {sampled:.0f} s of the "
        f"{sampling.requested_seconds:g} s sampling window: the output is partial and says so"
    )
    if where != out:
        message += f"; {out} keeps the earlier complete set, this one is in {where}"
    interrupt.announce(message)


def _print_summary(report: Report, where: Path, written: list[Path]) -> None:
    verdict = report.verdict.value.replace("_", " ").upper()
    counts = ", ".join(f"{n} {s}" for s, n in report.counts.items() if n and s != "waived")
    partial = " - PARTIAL: the collection was interrupted" if report.interrupted else ""
    typer.echo(f"Verdict: {verdict} ({counts or 'no findings'}){partial}")
    if report.not_evaluated:
        typer.echo(f"Could not check: {len(report.not_evaluated)} rule(s), listed in the report")
    if report.rule_errors:
        codes = ", ".join(e.code for e in report.rule_errors)
        typer.echo(
            f"Tool errors: {len(report.rule_errors)} rule(s) failed ({codes}), a defect of "
            "cdc-preflight: listed in the report; please report it"
        )
    for path in written:
        label = {"facts.json": "facts", "cdc-preflight.toml": "config", "junit.xml": "junit"}.get(
            path.name
        )
        typer.echo(f"  {label or path.suffix.lstrip('.'):6} {where / path.name}")


def _open_history(ctx: typer.Context, options: HistoryOptions) -> HistoryRun:
    """The history side of the run, opened before any work (a wrong location fails first)."""
    source = ctx.get_parameter_source("fail_on")
    if options.fail_on_new and source is not None and source.name != "DEFAULT":
        fail("--fail-on and --fail-on-new exclude each other: choose one exit rule", EXIT_USAGE)
    try:
        return HistoryRun(options)
    except (BaselineError, ReportFileError) as exc:
        fail(str(exc), EXIT_USAGE)
    except HistoryError as exc:
        fail(str(exc), EXIT_USAGE if exc.usage else EXIT_CANNOT_AUDIT)


def _with_changes(history: HistoryRun, report: Report, facts: Facts) -> Report:
    """The report with its changes since the baseline and its trends over the history."""
    try:
        return history.annotate(report, facts)
    except (ReportFileError, HistoryError) as exc:
        fail(str(exc))


def _record(history: HistoryRun, report: Report, facts: Facts, facts_json: bytes) -> None:
    """Store the run; an interrupted (partial) run is not stored: it would become a baseline."""
    if history.store is None:
        return
    if report.interrupted is not None:
        typer.echo(f"Not stored in {history.store.location}: the run was interrupted")
        return
    try:
        added, pruned = history.record(report, facts, facts_json)
    except HistoryError as exc:
        fail(f"the report is written, but {exc}")
    finally:
        history.close()
    state = "stored in" if added else "already in"
    typer.echo(f"History: run {report.report_id} {state} {history.store.location}")
    if pruned:
        typer.echo(f"History: {pruned} run(s) older than --keep-weeks removed")


def _say_changes(report: Report) -> None:
    changes = report.changes
    if changes is None:
        return
    if changes.baseline is None:
        typer.echo("Changes: no earlier run of this target in the history; nothing to compare")
        return
    typer.echo(
        f"Changes since {changes.baseline.generated_at:%Y-%m-%d %H:%M}: {len(changes.new)} new, "
        f"{len(changes.resolved)} resolved, {len(changes.changed)} changed"
    )


def _exit_code(report: Report, fail_on: FailOn, fail_on_new: NewSeverity | None) -> int:
    """--fail-on-new, when given, decides alone: new findings only."""
    if fail_on_new is None:
        return exit_code_for(report, fail_on)
    if fail_on_new is NewSeverity.NEVER:
        return EXIT_OK
    return (
        EXIT_FINDINGS if regressions_exit(report.changes, Severity(fail_on_new.value)) else EXIT_OK
    )


def _history_options(
    history: str | None,
    baseline: str | None,
    keep_weeks: int | None,
    fail_on_new: NewSeverity | None,
) -> HistoryOptions:
    return HistoryOptions(history, baseline, keep_weeks, fail_on_new is not None)


def exit_code_for(report: Report, fail_on: FailOn) -> int:
    if fail_on is FailOn.NEVER:
        return EXIT_OK
    threshold = Severity(fail_on.value)
    hit = any(f.severity.at_least(threshold) for f in report.findings if not f.waived)
    return EXIT_FINDINGS if hit else EXIT_OK


def _write_facts(facts: Facts, path: Path) -> str:
    """Write facts.json and return the SHA-256 the report quotes."""
    write_facts(facts, path)
    return facts_sha256(path)


def _finish(outputs: OutputSet, facts: Facts, report: Report, written: list[Path]) -> int:
    """Swap the set in, print the summary, say whether it is partial; the exit code if so."""
    where = _commit(outputs, _interrupted(facts))
    _print_summary(report, where, written)
    if _interrupted(facts):
        _say_interrupted(facts, outputs.out, where)
        return interrupt.exit_code()
    return EXIT_OK


@app.command()
def audit(
    ctx: typer.Context,
    dsn: DsnOpt = None,
    sample_seconds: SampleOpt = 60.0,
    interval: IntervalOpt = 5.0,
    profile: ProfileOpt = ProfileName.DEBEZIUM,
    out: OutOpt = Path("cdc-preflight-report"),
    fmt: FormatOpt = ALL_FORMATS,
    config: ConfigOpt = None,
    fail_on: FailOnOpt = FailOn.CRITICAL,
    title: TitleOpt = None,
    customer: CustomerOpt = None,
    prepared_by: PreparedByOpt = None,
    change_ref: ChangeRefOpt = None,
    template_dir: TemplateDirOpt = None,
    tables: TablesOpt = None,
    publication: PublicationOpt = None,
    aws_cluster_id: AwsClusterOpt = None,
    aws_instance_id: AwsInstanceOpt = None,
    aws_region: AwsRegionOpt = None,
    aws_profile: AwsProfileOpt = None,
    iam_auth: IamAuthOpt = False,
    no_read_probe: NoReadProbeOpt = False,
    probe_decoding: ProbeDecodingOpt = 0,
    history: HistoryOpt = None,
    baseline: BaselineOpt = None,
    keep_weeks: KeepWeeksOpt = None,
    fail_on_new: FailOnNewOpt = None,
    label: LabelOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Collect facts from a live server, then analyze them and write the report."""
    _setup_logging(debug)
    labels = _labels(label)
    aws = aws_request(aws_cluster_id, aws_instance_id, aws_region, aws_profile)
    output = Output(
        out,
        parse_formats(fmt),
        profile.value,
        config,
        template_dir,
        DocumentInfo(title, customer, prepared_by, change_ref),
        tables,
        publication,
        fail_on.value,
    )
    loaded = _load_config(config, tables, publication)  # a bad config fails before the database
    runs = _open_history(ctx, _history_options(history, baseline, keep_weeks, fail_on_new))
    probe = _probe_request(probe_decoding, loaded.scope.publication)
    with _outputs(out) as outputs:  # so does an unusable --out
        facts = _collect(
            Source(dsn, sample_seconds, interval, aws, iam_auth, not no_read_probe, labels, probe)
        )
        sha = _write_facts(facts, outputs.path("facts.json"))
        facts_json = outputs.path("facts.json").read_bytes()
        report = _with_changes(runs, _analyze(facts, sha, output), facts)
        written = [outputs.path("facts.json"), *_write_reports(report, outputs, output)]
        code = _finish(outputs, facts, report, written)
    _say_changes(report)
    _record(runs, report, facts, facts_json)
    raise typer.Exit(code or _exit_code(report, fail_on, fail_on_new))


@app.command()
def collect(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory to write facts.json into (as audit and analyze)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="The facts file to write, by name.")
    ] = None,
    dsn: DsnOpt = None,
    sample_seconds: SampleOpt = 60.0,
    interval: IntervalOpt = 5.0,
    aws_cluster_id: AwsClusterOpt = None,
    aws_instance_id: AwsInstanceOpt = None,
    aws_region: AwsRegionOpt = None,
    aws_profile: AwsProfileOpt = None,
    iam_auth: IamAuthOpt = False,
    no_read_probe: NoReadProbeOpt = False,
    probe_decoding: ProbeDecodingOpt = 0,
    publication: Annotated[
        str | None,
        typer.Option("--publication", help="The publication the decoding probe decodes for."),
    ] = None,
    label: LabelOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Only talk to the database (and AWS): write the facts document for a later `analyze`."""
    _setup_logging(debug)
    labels = _labels(label)
    if (out is None) == (output is None):
        fail("collect needs one of --out DIR (writes DIR/facts.json) or -o FILE", EXIT_USAGE)
    aws = aws_request(aws_cluster_id, aws_instance_id, aws_region, aws_profile)
    probe = _probe_request(probe_decoding, publication)
    source = Source(dsn, sample_seconds, interval, aws, iam_auth, not no_read_probe, labels, probe)
    if out is not None:
        with _outputs(out) as outputs:
            facts = _collect(source)
            _write_facts(facts, outputs.path("facts.json"))
            where = _commit(outputs, _interrupted(facts))
            _collected(facts, where / "facts.json")
            if _interrupted(facts):
                _say_interrupted(facts, outputs.out, where)
                raise typer.Exit(interrupt.exit_code())
        return
    assert output is not None
    try:
        check_writable(output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    facts = _collect(source)
    target = output
    if _interrupted(facts) and output.exists():
        target = output.with_name(f"{output.stem}.interrupted{output.suffix}")
    try:
        _write_facts(facts, target)
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}; {output} is unchanged")
    _collected(facts, target)
    if _interrupted(facts):
        _say_interrupted(facts, output, target)
        raise typer.Exit(interrupt.exit_code())


def _collected(facts: Facts, path: Path) -> None:
    typer.echo(f"Facts written to {path}")
    if facts.issues:
        typer.echo(f"Not collected: {', '.join(sorted({i.family for i in facts.issues}))}")


@app.command()
def analyze(
    ctx: typer.Context,
    facts_file: Annotated[Path, typer.Argument(help="A facts.json written by `collect`.")],
    profile: ProfileOpt = ProfileName.DEBEZIUM,
    out: OutOpt = Path("cdc-preflight-report"),
    fmt: FormatOpt = ALL_FORMATS,
    config: ConfigOpt = None,
    fail_on: FailOnOpt = FailOn.CRITICAL,
    title: TitleOpt = None,
    customer: CustomerOpt = None,
    prepared_by: PreparedByOpt = None,
    change_ref: ChangeRefOpt = None,
    template_dir: TemplateDirOpt = None,
    tables: TablesOpt = None,
    publication: PublicationOpt = None,
    history: HistoryOpt = None,
    baseline: BaselineOpt = None,
    keep_weeks: KeepWeeksOpt = None,
    fail_on_new: FailOnNewOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Analyze a facts document and write the report (with a copy of the facts) into --out.

    Never talks to the database.
    """
    _setup_logging(debug)
    output = Output(
        out,
        parse_formats(fmt),
        profile.value,
        config,
        template_dir,
        DocumentInfo(title, customer, prepared_by, change_ref),
        tables,
        publication,
        fail_on.value,
    )
    _stage("reading the facts")
    try:
        data = read_facts_bytes(facts_file)
        facts = decode_facts(data, str(facts_file))
    except FactsFileError as exc:
        fail(str(exc))
    runs = _open_history(ctx, _history_options(history, baseline, keep_weeks, fail_on_new))
    with _outputs(out) as outputs:
        write_atomic(outputs.path("facts.json"), data)
        sha256 = hashlib.sha256(data).hexdigest()
        report = _with_changes(runs, _analyze(facts, sha256, output), facts)
        interrupted = _interrupted(facts)
        # 60 MB on 50,000 tables: not held through the rendering unless the history stores it
        kept = (facts, data) if runs.store is not None else None
        del data, facts
        written = [outputs.path("facts.json"), *_write_reports(report, outputs, output)]
        where = _commit(outputs, interrupted)
        _print_summary(report, where, written)
    _say_changes(report)
    if kept is not None:
        _record(runs, report, *kept)
    raise typer.Exit(_exit_code(report, fail_on, fail_on_new))


@app.command()
def demo(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Directory for the demo report.")] = Path(
        "cdc-preflight-demo"
    ),
    sample_seconds: Annotated[
        float,
        typer.Option(
            "--sample-seconds",
            min=1,
            max=MAX_SAMPLE_SECONDS,
            callback=_finite,
            help="Sampling window of the demo, in seconds.",
        ),
    ] = 20.0,
    interval: IntervalOpt = 2.0,
    aurora: Annotated[
        bool,
        typer.Option(
            "--aurora",
            help="Add a simulated Aurora control plane (moto on 127.0.0.1) with the writer "
            "in pending-reboot; every output is labelled simulated.",
        ),
    ] = False,
    weeks: Annotated[
        int | None,
        typer.Option(
            "--weeks",
            min=2,
            max=8,
            help="Audit the shop N times (2-8) as SIMULATED weekly runs, with a fix, a new "
            "problem and growth between them: one report per week, a history, changes, trends "
            "and a one-row-per-week summary in --out.",
        ),
    ] = None,
    change_ref: ChangeRefOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Start a throwaway PostgreSQL with a realistic workload and audit it."""
    _setup_logging(debug)
    from audit.demo import DEMO_CONFIG, DemoError, run_demo

    if weeks is not None:
        source = ctx.get_parameter_source("sample_seconds")
        if source is not None and source.name == "DEFAULT":
            sample_seconds = WEEKLY_SAMPLE_SECONDS  # N audits in about two minutes
        _demo_weeks(out, weeks, sample_seconds, interval, aurora, change_ref)

    with _outputs(out) as outputs:
        progress = Progress(total_seconds=sample_seconds)
        try:
            with progress:
                if aurora:
                    facts = _aurora_demo(sample_seconds, interval, progress)
                else:
                    facts = run_demo(
                        sample_seconds=sample_seconds,
                        interval=interval,
                        log=typer.echo,
                        progress=progress.update,
                    )
        except DemoError as exc:
            fail(f"demo failed: {exc}")
        sha = _write_facts(facts, outputs.path("facts.json"))
        config = outputs.path("cdc-preflight.toml")
        write_atomic(config, DEMO_CONFIG.read_bytes())
        output = Output(
            out,
            list(REPORT_FORMATS),
            "debezium",
            config,
            document=DocumentInfo(change_ref=change_ref),
        )
        report = _analyze(facts, sha, output)
        written = [outputs.path("facts.json"), *_write_reports(report, outputs, output), config]
        code = _finish(outputs, facts, report, written)
    raise typer.Exit(code)


#: The sampling window of each week of ``demo --weeks`` unless --sample-seconds is given.
WEEKLY_SAMPLE_SECONDS = 10.0


def _demo_weeks(
    out: Path,
    weeks: int,
    sample_seconds: float,
    interval: float,
    aurora: bool,
    change_ref: str | None,
) -> NoReturn:
    """``demo --weeks N``: see :mod:`audit.demo.weekly_run`."""
    from audit.demo import DemoError
    from audit.demo.weekly_run import WeeklyDemo, WeeklyDemoError, run

    if aurora:
        fail("--weeks and --aurora exclude each other: the weekly demo is plain", EXIT_USAGE)
    typer.echo(f"Weekly demo: {weeks} SIMULATED weekly runs of the demo shop into {out}")
    demo = WeeklyDemo(out, weeks, sample_seconds, interval, typer.echo, change_ref)
    try:
        with Progress(total_seconds=sample_seconds) as progress:
            code = run(demo, progress.update)
    except WeeklyDemoError as exc:
        fail(str(exc), EXIT_USAGE)
    except (DemoError, HistoryError) as exc:
        fail(f"demo failed: {exc}")
    raise typer.Exit(code)


def _aurora_demo(sample_seconds: float, interval: float, progress: Progress) -> Facts:
    from audit.demo import run_demo

    if importlib.util.find_spec("moto") is None:
        fail("demo --aurora needs moto: pip install 'cdc-preflight[demo]'", EXIT_USAGE)
    return run_demo(
        sample_seconds=sample_seconds,
        interval=interval,
        log=typer.echo,
        progress=progress.update,
        aurora=True,
    )


@app.command()
def fleet(
    ctx: typer.Context,
    fleet_file: Annotated[
        Path, typer.Argument(help="FLEET.toml: [defaults] and one [[targets]] table per database.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Directory for one folder per target, fleet.json, fleet.html, fleet.csv."
        ),
    ],
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=256, help="Audits running at once.")
    ] = 4,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="I/N: audit only shard I (0 to N-1) of N, chosen by a hash of each target's "
            "name; N machines with I = 0..N-1 split the fleet with no overlap.",
        ),
    ] = None,
    history: HistoryOpt = None,
    fail_on: FailOnOpt = FailOn.CRITICAL,
    fail_on_new: FailOnNewOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Audit every target of a fleet file concurrently, each in a process of its own.

    Exit code: the worst over the targets; 3 if any target could not be audited. With
    --history, each audit is stored and compared with its target's previous run (new findings).
    """
    from audit.fleet.command import FleetError, FleetRequest, FleetUsageError, run

    _setup_logging(debug)
    source = ctx.get_parameter_source("fail_on")
    if fail_on_new is not None and source is not None and source.name != "DEFAULT":
        fail("--fail-on and --fail-on-new exclude each other: choose one exit rule", EXIT_USAGE)
    _stage("the fleet")
    request = FleetRequest(
        fleet_file,
        out,
        concurrency,
        shard,
        history,
        fail_on.value,
        None if fail_on_new is None else fail_on_new.value,
    )
    try:
        code = run(request, typer.echo)
    except FleetUsageError as exc:
        fail(str(exc), EXIT_USAGE)
    except FleetError as exc:
        fail(str(exc))
    raise typer.Exit(code)


@rules_app.command("list")
def rules_list(
    fmt: Annotated[
        ListFormat, typer.Option("--format", help="text: one line per rule; json: every field.")
    ] = ListFormat.TEXT,
) -> None:
    """List every rule: code, severity, name and title."""
    rules = all_rules()
    if fmt is ListFormat.JSON:
        from audit.docs import rules_as_json

        typer.echo(json.dumps(rules_as_json(), indent=2))
        return
    for rule in rules:
        typer.echo(f"{rule.code}  {rule.severity.value:8}  {rule.name:40}  {rule.title}")


@rules_app.command("explain")
def rules_explain(code: Annotated[str, typer.Argument(help="Rule code or name.")]) -> None:
    """Print a rule's documentation."""
    from audit.docs import explain

    rule = find_rule(code)
    if rule is None:
        fail(f"no rule {code!r}; see `cdc-preflight rules list`", EXIT_USAGE)
    typer.echo(explain(rule))


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        typer.echo(f"cdc-preflight {__version__}")
        raise typer.Exit(EXIT_OK)


def _dsn_arguments(args: list[str]) -> list[str]:
    """The values given to --dsn on the command line."""
    found = [a.split("=", 1)[1] for a in args if a.startswith("--dsn=")]
    found += [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--dsn"]
    return found


def _is(exc: BaseException, name: str) -> bool:
    """Whether ``exc`` is click's ``name`` (typer vendors click from 0.2x on: match by name)."""
    return any(cls.__name__ == name for cls in type(exc).__mro__)


def _usage_line(exc: Exception) -> str:
    format_message = getattr(exc, "format_message", None)
    message = " ".join(str(format_message() if format_message else exc).split())
    ctx = getattr(exc, "ctx", None)
    where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    return f"{message}{where}"


def _error(exc: Exception) -> int:
    """Say what went wrong in one line (a traceback too with --debug); the exit code."""
    if _is(exc, "NoArgsIsHelpError"):
        typer.echo(getattr(exc, "format_message", str)(), err=True)
        return EXIT_USAGE
    if _is(exc, "UsageError"):
        typer.echo(f"cdc-preflight: {mask(_usage_line(exc))}", err=True)
        return EXIT_USAGE
    if _is(exc, "ClickException"):
        typer.echo(f"cdc-preflight: {mask(_usage_line(exc))}", err=True)
        return int(getattr(exc, "exit_code", EXIT_CANNOT_AUDIT))
    if _STATE["debug"]:
        typer.echo(mask("".join(traceback.format_exception(exc))), err=True, nl=False)
    typer.echo(f"cdc-preflight: fatal error: {mask(f'{type(exc).__name__}: {exc}')}", err=True)
    return EXIT_CANNOT_AUDIT


def main(args: list[str] | None = None) -> None:
    """Run the command line; see the module doc for exit codes."""
    interrupt.install()
    argv = sys.argv[1:] if args is None else args
    _STATE["secrets"] = [s for dsn in _dsn_arguments(argv) for s in secrets_in(dsn)] + (
        secrets_in(None)
    )
    code: object = EXIT_OK
    try:
        code = app(args=argv, prog_name="cdc-preflight", standalone_mode=False)
    except typer.Abort:
        typer.echo("cdc-preflight: aborted", err=True)
        code = EXIT_FINDINGS
    except KeyboardInterrupt:
        code = interrupt.exit_code()
    except Exception as exc:
        code = _error(exc)
    if interrupt.received() is not None:
        if not interrupt.announced():
            interrupt.announce(f"interrupted by {interrupt.signal_name()} during {_STATE['stage']}")
        code = interrupt.exit_code()
    sys.exit(code if isinstance(code, int) else EXIT_OK)
