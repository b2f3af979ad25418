"""The recipes under deploy/: valid for the tools that run them, and command lines the CLI takes.

Kubernetes manifests are validated offline against the Kubernetes JSON schema that
kubernetes-validate bundles; the CI files against the schemas check-jsonschema vendors; the
systemd units by ``systemd-analyze verify``; the crontab by croniter. Every recipe's command
line is run by the real CLI with the history unreachable: exit 3 at the history check means
the fleet file, the shard and every option were accepted (a usage error exits 2 first).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from croniter import croniter
from psycopg.conninfo import conninfo_to_dict

from audit.fleet.config import load_fleet
from audit.fleet.shard import parse_shard

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
FLEET = DEPLOY / "fleet" / "FLEET.toml"
SERVICES = DEPLOY / "fleet" / "pg_service.conf"
HISTORY = "postgresql://cdc_history@history-db.internal/cdc_preflight"
#: what the schedulers put in the variables the recipes name
VARIABLES = {"CDC_PREFLIGHT_HISTORY": HISTORY}
K8S_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
CRONJOB = DEPLOY / "kubernetes" / "cronjob.yaml"
CONFIGMAP = DEPLOY / "kubernetes" / "configmap.yaml"


def expand(argument: str, variables: dict[str, str]) -> str:
    """``$NAME``, ``${NAME}`` (shell) and ``$(NAME)`` (Kubernetes) from ``variables``."""

    def value(match: re.Match[str]) -> str:
        name = next(g for g in match.groups() if g)
        return variables[name]

    return re.sub(r"\$\(([A-Z_]+)\)|\$\{([A-Z_]+)\}|\$([A-Z_]+)", value, argument)


def cron_line() -> list[str]:
    lines = [
        line
        for line in (DEPLOY / "cron" / "cdc-preflight.cron").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not re.match(r"^[A-Z_]+=", line)
    ]
    assert len(lines) == 1, lines
    return lines[0].split(None, 6)


def unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit file: section -> (key, value) in order (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith(("#", ";")):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            current = sections.setdefault(header.group(1), [])
            continue
        assert current is not None, line
        key, _, value = line.partition("=")
        current.append((key, value))
    return sections


def cronjob() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CRONJOB.read_text())
    return loaded


def audit_container(job: dict[str, Any]) -> dict[str, Any]:
    containers = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    found: dict[str, Any] = next(c for c in containers if c["name"] == "cdc-preflight")
    return found


def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((DEPLOY / "ci" / "github-actions.yml").read_text())
    return loaded


def gitlab() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "ci" / "gitlab-ci.yml").read_text())
    return loaded


def commands() -> dict[str, list[str]]:
    """Each recipe's command line, variables expanded, without the program name."""
    found: dict[str, list[str]] = {}
    found["cron"] = shlex.split(cron_line()[6])
    service = dict(unit(DEPLOY / "systemd" / "cdc-preflight.service")["Service"])
    found["systemd"] = shlex.split(service["ExecStart"])
    steps = workflow()["jobs"]["fleet"]["steps"]
    found["github-actions"] = shlex.split(next(s["run"] for s in steps if s.get("id") == "audit"))
    (script,) = gitlab()["cdc-preflight"]["script"]
    found["gitlab-ci"] = shlex.split(script)
    container = audit_container(cronjob())
    shards = int(_shard_count(container))
    for index in sorted({0, shards - 1}):  # the first and the last index
        argv = [*container["command"], *container["args"]]
        variables = {**VARIABLES, "JOB_COMPLETION_INDEX": str(index)}
        found[f"kubernetes shard {index}"] = [expand(a, variables) for a in argv]
    for name, argv in found.items():
        assert Path(argv[0]).name == "cdc-preflight", (name, argv)
        found[name] = [expand(a, VARIABLES) for a in argv[1:]]
    return found


def _shard_count(container: dict[str, Any]) -> str:
    args = container["args"]
    spec = args[args.index("--shard") + 1]
    match = re.fullmatch(r"\$\(JOB_COMPLETION_INDEX\)/(\d+)", spec)
    assert match, spec
    return match.group(1)


def run_cli(argv: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``argv`` run by the real CLI, with this repository's fleet file and a temporary --out."""
    argv = list(argv)
    argv = [str(FLEET) if a.endswith("FLEET.toml") else a for a in argv]
    argv[argv.index("--out") + 1] = str(tmp_path / "out")
    env = {**os.environ, "PGSERVICEFILE": str(SERVICES), "PGCONNECT_TIMEOUT": "3"}
    return subprocess.run(
        [sys.executable, "-m", "audit", *argv],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )


RECIPES = commands()


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_each_recipe_is_a_command_line_the_cli_accepts(name: str, tmp_path: Path) -> None:
    argv = RECIPES[name]
    assert argv[0] == "fleet"
    result = run_cli(argv, tmp_path)
    # accepted up to the history, which this machine cannot reach: exit 3, one line, no usage
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert f"cannot open history {HISTORY}" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_drifted_command_line_is_caught(tmp_path: Path) -> None:
    """The check above fails when a recipe's options drift from the CLI's."""
    argv = RECIPES["cron"]
    for broken in (
        [*argv, "--fail-on-new", "highest"],
        [a.replace("--concurrency", "--parallel") for a in argv],
        [*argv, "--shard", "4/4"],
    ):
        result = run_cli(broken, tmp_path)
        assert result.returncode == 2, (broken, result.stderr)


def test_the_history_urls_hold_no_password() -> None:
    for name, argv in RECIPES.items():
        url = argv[argv.index("--history") + 1]
        assert "password" not in conninfo_to_dict(url), name


def test_the_fleet_file_loads_and_its_services_exist() -> None:
    plans = load_fleet(FLEET)
    services = set(re.findall(r"^\[([^\]]+)\]$", SERVICES.read_text(), flags=re.MULTILINE))
    for plan in plans:
        assert plan.dsn.removeprefix("service=") in services
        assert {"junit", "prom", "json"} <= set(plan.formats)
    lines = [line for line in SERVICES.read_text().splitlines() if not line.startswith("#")]
    assert not [line for line in lines if line.startswith("password")]


# -- cron ---------------------------------------------------------------------------------------


def test_crontab_line_is_a_valid_schedule_with_a_user() -> None:
    fields = cron_line()
    expression = " ".join(fields[:5])
    assert croniter.is_valid(expression)
    assert fields[5] == "cdc-preflight"  # /etc/cron.d lines name the user
    fire = croniter(expression, datetime(2025, 3, 5, tzinfo=UTC)).get_next(datetime)
    assert (fire.weekday(), fire.hour, fire.minute) == (0, 6, 0)  # Monday 06:00
    assert "%" not in fields[6]  # cron turns % into a newline


# -- systemd ------------------------------------------------------------------------------------


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    service = DEPLOY / "systemd" / "cdc-preflight.service"
    timer = DEPLOY / "systemd" / "cdc-preflight.timer"
    sections = unit(service)
    assert dict(sections["Service"])["Type"] == "oneshot"
    assert dict(sections["Service"])["User"] == "cdc-preflight"
    assert dict(unit(timer)["Timer"])["Unit"] == service.name
    assert "timers.target" in dict(unit(timer)["Install"])["WantedBy"]
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the units were checked by structure only")
    program = Path(sys.executable).with_name("cdc-preflight")
    assert program.exists(), program
    (tmp_path / service.name).write_text(
        service.read_text().replace("/usr/local/bin/cdc-preflight", str(program))
    )
    shutil.copy(timer, tmp_path / timer.name)
    result = subprocess.run(
        [analyze, "verify", service.name, timer.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Unknown" not in result.stderr and "ignoring" not in result.stderr, result.stderr
    calendar = dict(unit(timer)["Timer"])["OnCalendar"]
    normalized = subprocess.run(
        [analyze, "calendar", calendar], capture_output=True, text=True, check=True, timeout=30
    )
    assert "Mon *-*-* 06:00:00 UTC" in normalized.stdout


# -- CI -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "schema"),
    [("github-actions.yml", "vendor.github-workflows"), ("gitlab-ci.yml", "vendor.gitlab-ci")],
)
def test_ci_files_match_their_vendored_schemas(path: str, schema: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            schema,
            DEPLOY / "ci" / path,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_schedule_and_secrets() -> None:
    document = workflow()
    triggers = document[True] if True in document else document["on"]  # YAML 1.1 reads on: as True
    (schedule,) = triggers["schedule"]
    assert croniter.is_valid(schedule["cron"])
    text = (DEPLOY / "ci" / "github-actions.yml").read_text()
    assert "${{ secrets.CDC_PREFLIGHT_HISTORY }}" in text
    assert "${{ secrets.CDC_PREFLIGHT_PGPASS }}" in text
    assert "install -m 0600" in text  # libpq ignores a password file others may read


def test_gitlab_reports_every_targets_junit() -> None:
    job = gitlab()["cdc-preflight"]
    assert job["artifacts"]["reports"]["junit"] == "fleet/*/junit.xml"
    assert "--out fleet " in job["script"][0]


# -- Kubernetes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("path", [CRONJOB, CONFIGMAP])
def test_manifests_match_the_kubernetes_schema(path: Path, version: str) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, version, strict=True)


def test_the_schema_check_catches_a_mistake() -> None:
    job = cronjob()
    audit_container(job)["securityContext"]["runAsNonRot"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, K8S_VERSIONS[-1], strict=True)


def test_cronjob_runs_an_indexed_job_one_shard_per_index() -> None:
    job = cronjob()
    spec = job["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert croniter.is_valid(spec["schedule"])
    template = spec["jobTemplate"]["spec"]
    container = audit_container(job)
    shards = int(_shard_count(container))
    assert template["completionMode"] == "Indexed"
    assert template["completions"] == template["parallelism"] == shards
    for index in range(shards):
        assert str(parse_shard(f"{index}/{shards}")) == f"{index}/{shards}"
    names = [plan.name for plan in load_fleet(FLEET)]
    for name in names:  # every target is in exactly one shard
        assert sum(parse_shard(f"{i}/{shards}").holds(name) for i in range(shards)) == 1
    index_env = next(e for e in container["env"] if e["name"] == "JOB_COMPLETION_INDEX")
    assert "job-completion-index" in index_env["valueFrom"]["fieldRef"]["fieldPath"]


def test_cronjob_runs_as_non_root_with_limits_and_secrets_by_reference() -> None:
    job = cronjob()
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    for container in [*pod["containers"], *pod.get("initContainers", [])]:
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        assert security["capabilities"]["drop"] == ["ALL"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind])
    container = audit_container(job)
    env = {e["name"]: e for e in container["env"]}
    history = env["CDC_PREFLIGHT_HISTORY"]["valueFrom"]["secretKeyRef"]
    secrets = {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    assert secrets == {history["name"]} == {"cdc-preflight-credentials"}
    for entry in container["env"]:  # no literal secret
        assert "PASSWORD" not in entry["name"]
        assert "://" not in entry.get("value", ""), entry
    # the password file reaches libpq as a private copy (mode 0600) of the Secret's key
    (init,) = pod["initContainers"]
    assert init["command"][:3] == ["install", "-m", "0600"]
    assert env["PGPASSFILE"]["value"] == init["command"][-1]


def test_configmap_holds_the_fleet_files_where_the_job_reads_them() -> None:
    config = yaml.safe_load(CONFIGMAP.read_text())
    assert config["data"]["FLEET.toml"] == FLEET.read_text()
    assert config["data"]["pg_service.conf"] == SERVICES.read_text()
    job = cronjob()
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = audit_container(job)
    volume = next(v for v in pod["volumes"] if v.get("configMap"))
    assert volume["configMap"]["name"] == config["metadata"]["name"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == volume["name"])
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert container["args"][1] == f"{mount['mountPath']}/FLEET.toml"
    assert env["PGSERVICEFILE"] == f"{mount['mountPath']}/pg_service.conf"


def test_the_image_runs_as_the_user_the_cronjob_names() -> None:
    containerfile = (DEPLOY / "container" / "Containerfile").read_text()
    user = re.search(r"^USER (\d+)$", containerfile, flags=re.MULTILINE)
    assert user is not None
    pod = cronjob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert int(user.group(1)) == pod["securityContext"]["runAsUser"]
    assert 'ENTRYPOINT ["cdc-preflight"]' in containerfile
