"""FLEET.toml: [defaults] merged under each target, and every mistake refused in one line
before any target is contacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.fleet.config import FleetConfigError, TargetPlan, load_fleet


def fleet(tmp_path: Path, text: str) -> list[TargetPlan]:
    path = tmp_path / "FLEET.toml"
    path.write_text(text)
    return load_fleet(path)


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(FleetConfigError) as caught:
        fleet(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_defaults_are_merged_under_each_target_and_labels_combine(tmp_path: Path) -> None:
    (tmp_path / "strict.toml").write_text('ignore = ["CDC101"]\n')
    plans = fleet(
        tmp_path,
        """
[defaults]
profile = "dms"
sample_seconds = 30
labels = { env = "prod", team = "data" }
aws_region = "eu-west-1"
timeout_seconds = 900

[[targets]]
name = "orders"
service = "orders-prod"

[[targets]]
name = "billing"
dsn = "host=db2.internal dbname=billing user=auditor"
sample_seconds = 5
profile = "debezium"
labels = { team = "finance" }
config = "strict.toml"
aws_cluster_id = "billing-cluster"
formats = ["html"]
tables = "public.*,!public.audit_log"
""",
    )
    orders, billing = plans
    assert orders.dsn == "service=orders-prod"
    assert (orders.profile, orders.sample_seconds, orders.interval) == ("dms", 30.0, 5.0)
    assert orders.labels == {"env": "prod", "team": "data"}
    assert orders.timeout_seconds == 900.0
    assert orders.formats == ("html", "json")
    assert orders.config is None and orders.aws_cluster_id is None
    assert (billing.profile, billing.sample_seconds) == ("debezium", 5.0)
    assert billing.labels == {"env": "prod", "team": "finance"}
    assert billing.config == (tmp_path / "strict.toml").resolve()
    assert billing.aws_cluster_id == "billing-cluster" and billing.aws_region == "eu-west-1"
    assert billing.formats == ("html", "json")  # json is always written: the summary reads it
    assert billing.tables == "public.*,!public.audit_log"


def test_default_timeout_leaves_room_beyond_the_sampling_window(tmp_path: Path) -> None:
    (plan,) = fleet(tmp_path, '[[targets]]\nname = "a"\ndsn = "dbname=a"\nsample_seconds = 120\n')
    assert plan.timeout_seconds == 720.0


def test_a_service_name_with_a_space_is_quoted_for_libpq(tmp_path: Path) -> None:
    (plan,) = fleet(tmp_path, '[[targets]]\nname = "a"\nservice = "it\'s prod"\n')
    assert plan.dsn == "service='it\\'s prod'"


@pytest.mark.parametrize(
    "dsn",
    [
        "host=db1 dbname=orders user=auditor password=hunter2",
        "postgresql://auditor:hunter2@db1/orders",
        "postgresql://auditor@db1/orders?password=hunter2",
    ],
)
def test_a_password_in_a_dsn_is_refused(tmp_path: Path, dsn: str) -> None:
    message = refused(tmp_path, f'[[targets]]\nname = "orders"\ndsn = "{dsn}"\n')
    assert "[[targets]] #1 (orders) dsn: holds a password; secrets never in the file" in message
    assert "hunter2" not in message


def test_a_password_key_is_refused_as_a_secret_not_as_a_typo(tmp_path: Path) -> None:
    message = refused(tmp_path, '[[targets]]\nname = "a"\ndsn = "dbname=a"\npassword = "hunter2"\n')
    assert "password: secrets never in the file" in message
    assert "hunter2" not in message
    message = refused(tmp_path, '[defaults]\npassword = "x"\n[[targets]]\nname = "a"\n')
    assert message.endswith("[defaults] password: " + message.split("password: ", 1)[1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[targets]]\nname = "a"\ndsn = "dbname=a"\nsample_second = 5\n',
            "[[targets]] #1 (a) unknown key sample_second (did you mean sample_seconds?)",
        ),
        (
            '[default]\nprofile = "dms"\n[[targets]]\nname = "a"\ndsn = "dbname=a"\n',
            "unknown key default (did you mean defaults?)",
        ),
        (
            '[defaults]\nprofle = "dms"\n[[targets]]\nname = "a"\ndsn = "dbname=a"\n',
            "[defaults] unknown key profle (did you mean profile?)",
        ),
        (
            '[[targets]]\nname = "a"\ndsn = "dbname=a"\n[[targets]]\nname = "a"\nservice = "b"\n',
            "[[targets]] #2: name 'a' is already target #1: names must be unique",
        ),
        (
            '[[targets]]\nname = "a"\n',
            "[[targets]] #1 (a): neither dsn and service; give one",
        ),
        (
            '[[targets]]\nname = "a"\ndsn = "dbname=a"\nservice = "a"\n',
            "[[targets]] #1 (a): both dsn and service; give one",
        ),
        ('[[targets]]\ndsn = "dbname=a"\n', "[[targets]] #1 name: missing"),
        ("[defaults]\n", "targets: missing"),
        ("targets = []\n", "targets: List should have at least 1 item"),
        (
            '[[targets]]\nname = "a"\ndsn = "dbname=a"\nprofile = "kafka"\n',
            "[[targets]] #1 (a) profile: Input should be 'debezium', 'dms', 'native' or 'generic'",
        ),
        (
            '[[targets]]\nname = "a"\ndsn = "dbname=a"\nsample_seconds = -1\n',
            "[[targets]] #1 (a) sample_seconds: Input should be greater than or equal to 0",
        ),
        (
            '[defaults]\nformats = ["htm"]\n[[targets]]\nname = "a"\ndsn = "dbname=a"\n',
            "[defaults] formats: unknown report format 'htm' (did you mean html?)",
        ),
        (
            '[[targets]]\nname = "a"\ndsn = "host=db1 dbname"\n',
            "[[targets]] #1 (a) dsn: not a libpq connection string",
        ),
        (
            '[[targets]]\nname = "a\\nb"\ndsn = "dbname=a"\n',
            "[[targets]] #1 ('a\\nb') name: name 'a\\nb': no control characters",
        ),
        (
            '[[targets]]\nname = "a"\ndsn = "dbname=a"\ntables = "public.*"\npublication = "p"\n',
            "target 'a': --tables/--publication:",
        ),
        (
            '[[targets]]\nname = "a"\ndsn = "dbname=a"\nconfig = "missing.toml"\n',
            "config: cannot read",
        ),
        ('[[targets]\nname = "a"\n', "is not valid TOML"),
    ],
)
def test_mistakes_are_one_line_naming_the_table_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = refused(tmp_path, text)
    assert message.startswith(str(tmp_path / "FLEET.toml"))
    assert expected in message


def test_a_bad_report_configuration_is_refused_before_any_target_runs(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('select = ["CDC9999"]\n')
    message = refused(
        tmp_path, '[defaults]\nconfig = "bad.toml"\n[[targets]]\nname = "a"\ndsn = "dbname=a"\n'
    )
    assert "config:" in message and "unknown rule 'CDC9999'" in message


def test_a_missing_fleet_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(FleetConfigError, match=r"cannot read .*nope\.toml: No such file"):
        load_fleet(tmp_path / "nope.toml")


def test_folders_are_safe_distinct_and_stable(tmp_path: Path) -> None:
    names = [
        "orders",
        "../../etc",
        "<script>alert(1)</script>",
        "Orders",
        "fleet.json",
        "logs",
        "a b",
        "a-b",
        ".hidden",
        "...",
    ]
    text = "".join(f'[[targets]]\nname = "{n}"\ndsn = "dbname=x"\n' for n in names)
    plans = fleet(tmp_path, text)
    folders = [p.folder for p in plans]
    assert len({f.lower() for f in folders}) == len(names)  # distinct, also ignoring case
    for folder in folders:
        assert folder and not folder.startswith(".") and "/" not in folder
        assert all(c.isalnum() or c in "._-" for c in folder)
        assert folder.lower() not in ("fleet.json", "fleet.html", "fleet.csv", "logs")
    by_name = dict(zip(names, folders, strict=True))
    assert by_name["a-b"] == "a-b"  # a safe name is its own folder
    assert by_name["a b"].startswith("a-b-") and len(by_name["a b"]) == len("a-b-") + 8
    assert by_name["orders"] == "orders"
    assert by_name["Orders"].startswith("Orders-")  # would meet orders on a case-insensitive disk
    # a folder depends on the name alone: every shard, and a later edit of the file, agrees
    again = fleet(tmp_path, text.replace('name = "orders"', 'name = "zzz"'))
    assert [p.folder for p in again][1:] == folders[1:]


def test_machine_formats_pass_through_to_each_audit(tmp_path: Path) -> None:
    from audit.fleet.runner import RunOptions, audit_command

    (plan,) = fleet(
        tmp_path,
        '[defaults]\nformats = ["junit", "prom"]\n[[targets]]\nname = "a"\ndsn = "dbname=a"\n',
    )
    assert plan.formats == ("junit", "prom", "json")
    command = audit_command(plan, RunOptions(out=tmp_path / "out", concurrency=1))
    assert command[command.index("--format") + 1] == "junit,prom,json"


def test_labels_merge_and_reach_each_audit_and_a_bad_key_is_refused(tmp_path: Path) -> None:
    from audit.fleet.runner import RunOptions, audit_command

    (plan,) = fleet(
        tmp_path,
        '[defaults]\nlabels = { env = "prod", team = "core" }\n'
        '[[targets]]\nname = "a"\ndsn = "dbname=a"\nlabels = { team = "checkout" }\n',
    )
    command = audit_command(plan, RunOptions(out=tmp_path / "out", concurrency=1))
    given = [command[i + 1] for i, arg in enumerate(command) if arg == "--label"]
    assert given == ["env=prod", "team=checkout"]
    with pytest.raises(FleetConfigError, match="team-name"):
        fleet(tmp_path, '[[targets]]\nname = "a"\ndsn = "dbname=a"\nlabels = { team-name = "x" }\n')
