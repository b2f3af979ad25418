"""The command line: parsing and exit codes only; the work happens in the modules it calls.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage error;
3 could not audit (connection, authentication, unreadable input, fatal error).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from audit import __version__
from audit.config import AuditConfig, ConfigError, load_config
from audit.engine import Severity, all_rules, find_rule, get_profile
from audit.facts import Facts, FactsFileError, read_facts, write_facts
from audit.facts.io import facts_sha256
from audit.files import write_atomic
from audit.gather import AwsRequest, gather, with_iam_token
from audit.pipeline import DocumentInfo
from audit.pipeline import analyze as run_analysis
from audit.progress import Progress
from audit.report.model import Report
from audit.scope import ScopeError, scope_from_options

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_CANNOT_AUDIT = 0, 1, 2, 3

app = typer.Typer(
    name="cdc-preflight",
    help="Audit PostgreSQL, RDS or Aurora PostgreSQL before change data capture.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="List and explain the rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


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
ALL_FORMATS = ",".join(REPORT_FORMATS)

DsnOpt = Annotated[
    str | None,
    typer.Option(
        "--dsn",
        help="libpq connection string or URI; omitted: PGHOST, PGPORT, PGUSER, PGDATABASE, "
        "PGSERVICE and ~/.pgpass apply.",
    ),
]
SampleOpt = Annotated[
    float,
    typer.Option("--sample-seconds", min=0, help="How long to sample WAL and row-change rates."),
]
IntervalOpt = Annotated[float, typer.Option("--interval", min=0.2, help="Seconds between samples.")]
ProfileOpt = Annotated[
    ProfileName,
    typer.Option("--profile", help="The CDC consumer whose thresholds apply."),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Directory for the report files.")]
FormatOpt = Annotated[
    str, typer.Option("--format", help="Comma-separated report formats: html,pdf,json,md.")
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
TemplateDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--template-dir",
        help="Directory whose templates (report.html.j2, brand.css) override the packaged ones.",
        exists=True,
        file_okay=False,
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


_STATE = {"debug": False}


def fail(message: str, code: int = EXIT_CANNOT_AUDIT) -> NoReturn:
    typer.echo(f"cdc-preflight: {message}", err=True)
    raise typer.Exit(code)


def parse_formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in REPORT_FORMATS]
    if unknown or not formats:
        fail(
            f"unknown report format {', '.join(unknown) or '(none)'}; "
            f"choose from {','.join(REPORT_FORMATS)}",
            EXIT_USAGE,
        )
    return formats


def _setup_logging(debug: bool) -> None:
    _STATE["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@dataclass(frozen=True)
class Source:
    """What to collect from: the database and, optionally, its AWS control plane."""

    dsn: str | None
    sample_seconds: float
    interval: float
    aws: AwsRequest | None = None
    iam_auth: bool = False
    read_probe: bool = True


def aws_request(
    cluster_id: str | None, instance_id: str | None, region: str | None, profile: str | None
) -> AwsRequest:
    from audit.aws import AwsOptions

    explicit = any(v is not None for v in (cluster_id, instance_id, region, profile))
    return AwsRequest(AwsOptions(cluster_id, instance_id, region, profile), explicit=explicit)


def _collect(source: Source) -> Facts:
    from audit.aws import IamAuthError
    from audit.collect import CollectError

    dsn = source.dsn
    if source.iam_auth:
        assert source.aws is not None
        try:
            dsn = with_iam_token(dsn, source.aws.options)
        except (IamAuthError, ValueError) as exc:
            fail(f"cannot audit: IAM authentication: {exc}")
    progress = Progress(total_seconds=source.sample_seconds)
    try:
        with progress:
            return gather(
                dsn,
                sample_seconds=source.sample_seconds,
                interval=source.interval,
                progress=progress.update,
                aws=source.aws,
                read_probe=source.read_probe,
            )
    except CollectError as exc:
        fail(f"cannot audit: {exc}")


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


def _report(facts: Facts, sha256: str, output: Output) -> Report:
    from audit.report import write_reports

    config = _load_config(output.config, output.tables, output.publication)
    try:
        report = run_analysis(
            facts,
            profile=get_profile(output.profile),
            config=config,
            facts_sha256=sha256,
            document=output.document,
        )
    except (ScopeError, ConfigError) as exc:  # no table in scope, no rule selected
        fail(str(exc), EXIT_USAGE)
    paths = write_reports(report, output.out, output.formats, template_dir=output.template_dir)
    _print_summary(report, paths)
    return report


def _print_summary(report: Report, paths: dict[str, Path]) -> None:
    verdict = report.verdict.value.replace("_", " ").upper()
    counts = ", ".join(f"{n} {s}" for s, n in report.counts.items() if n and s != "waived")
    typer.echo(f"Verdict: {verdict} ({counts or 'no findings'})")
    if report.not_evaluated:
        typer.echo(f"Could not check: {len(report.not_evaluated)} rule(s), listed in the report")
    for fmt, path in paths.items():
        typer.echo(f"  {fmt:4} {path}")


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


@app.command()
def audit(
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
    template_dir: TemplateDirOpt = None,
    tables: TablesOpt = None,
    publication: PublicationOpt = None,
    aws_cluster_id: AwsClusterOpt = None,
    aws_instance_id: AwsInstanceOpt = None,
    aws_region: AwsRegionOpt = None,
    aws_profile: AwsProfileOpt = None,
    iam_auth: IamAuthOpt = False,
    no_read_probe: NoReadProbeOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Collect facts from a live server, then analyze them and write the report."""
    _setup_logging(debug)
    aws = aws_request(aws_cluster_id, aws_instance_id, aws_region, aws_profile)
    output = Output(
        out,
        parse_formats(fmt),
        profile.value,
        config,
        template_dir,
        DocumentInfo(title, customer, prepared_by),
        tables,
        publication,
    )
    _load_config(config, tables, publication)  # a bad config fails before the database
    facts = _collect(Source(dsn, sample_seconds, interval, aws, iam_auth, not no_read_probe))
    sha = _write_facts(facts, out / "facts.json")
    report = _report(facts, sha, output)
    raise typer.Exit(exit_code_for(report, fail_on))


@app.command()
def collect(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write facts.json.")],
    dsn: DsnOpt = None,
    sample_seconds: SampleOpt = 60.0,
    interval: IntervalOpt = 5.0,
    aws_cluster_id: AwsClusterOpt = None,
    aws_instance_id: AwsInstanceOpt = None,
    aws_region: AwsRegionOpt = None,
    aws_profile: AwsProfileOpt = None,
    iam_auth: IamAuthOpt = False,
    no_read_probe: NoReadProbeOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Only talk to the database (and AWS): write the facts document for a later `analyze`."""
    _setup_logging(debug)
    aws = aws_request(aws_cluster_id, aws_instance_id, aws_region, aws_profile)
    facts = _collect(Source(dsn, sample_seconds, interval, aws, iam_auth, not no_read_probe))
    _write_facts(facts, output)
    typer.echo(f"Facts written to {output}")
    if facts.issues:
        typer.echo(f"Not collected: {', '.join(sorted({i.family for i in facts.issues}))}")


@app.command()
def analyze(
    facts_file: Annotated[Path, typer.Argument(help="A facts.json written by `collect`.")],
    profile: ProfileOpt = ProfileName.DEBEZIUM,
    out: OutOpt = Path("cdc-preflight-report"),
    fmt: FormatOpt = ALL_FORMATS,
    config: ConfigOpt = None,
    fail_on: FailOnOpt = FailOn.CRITICAL,
    title: TitleOpt = None,
    customer: CustomerOpt = None,
    prepared_by: PreparedByOpt = None,
    template_dir: TemplateDirOpt = None,
    tables: TablesOpt = None,
    publication: PublicationOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Analyze a facts document and write the report; never talks to the database."""
    _setup_logging(debug)
    output = Output(
        out,
        parse_formats(fmt),
        profile.value,
        config,
        template_dir,
        DocumentInfo(title, customer, prepared_by),
        tables,
        publication,
    )
    try:
        facts = read_facts(facts_file)
    except FactsFileError as exc:
        fail(str(exc))
    report = _report(facts, facts_sha256(facts_file), output)
    raise typer.Exit(exit_code_for(report, fail_on))


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Directory for the demo report.")] = Path(
        "cdc-preflight-demo"
    ),
    sample_seconds: Annotated[
        float, typer.Option("--sample-seconds", min=1, help="Sampling window of the demo.")
    ] = 20.0,
    interval: Annotated[float, typer.Option("--interval", min=0.2)] = 2.0,
    aurora: Annotated[
        bool,
        typer.Option(
            "--aurora",
            help="Add a simulated Aurora control plane (moto on 127.0.0.1) with the writer "
            "in pending-reboot; every output is labelled simulated.",
        ),
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Start a throwaway PostgreSQL with a realistic workload and audit it."""
    _setup_logging(debug)
    from audit.demo import DEMO_CONFIG, DemoError, run_demo

    try:
        if aurora:
            facts = _aurora_demo(sample_seconds, interval)
        else:
            facts = run_demo(sample_seconds=sample_seconds, interval=interval, log=typer.echo)
    except DemoError as exc:
        fail(f"demo failed: {exc}")
    sha = _write_facts(facts, out / "facts.json")
    config = out / "cdc-preflight.toml"
    write_atomic(config, DEMO_CONFIG.read_bytes())
    _report(facts, sha, Output(out, list(REPORT_FORMATS), "debezium", config))


def _aurora_demo(sample_seconds: float, interval: float) -> Facts:
    from audit.demo import run_demo

    if importlib.util.find_spec("moto") is None:
        fail("demo --aurora needs moto: pip install 'cdc-preflight[demo]'", EXIT_USAGE)
    return run_demo(sample_seconds=sample_seconds, interval=interval, log=typer.echo, aurora=True)


@rules_app.command("list")
def rules_list(
    fmt: Annotated[ListFormat, typer.Option("--format")] = ListFormat.TEXT,
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


def main() -> None:
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        typer.echo("cdc-preflight: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if _STATE["debug"]:
            raise
        typer.echo(f"cdc-preflight: fatal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_CANNOT_AUDIT)
