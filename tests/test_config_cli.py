"""Through the command line: a configuration, selection or scope mistake is exit 2 with one
line on stderr, before any report is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FACTS = ROOT / "sample_outputs" / "demo" / "facts.json"


def analyze(tmp_path: Path, *args: str, config: str | None = None) -> tuple[int, str]:
    extra: list[str] = []
    if config is not None:
        path = tmp_path / "cdc-preflight.toml"
        path.write_text(config, encoding="utf-8")
        extra = ["--config", str(path)]
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "audit",
            "analyze",
            str(SAMPLE_FACTS),
            "--out",
            str(out),
            "--format",
            "json",
            *extra,
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
        timeout=300,
    )
    assert not out.exists(), "a usage error writes nothing"
    assert "Traceback" not in result.stderr
    return result.returncode, result.stderr


@pytest.mark.parametrize(
    ("config", "line"),
    [
        ("[rules.CDC208]\nmin_growth_ratoi = 0.9\n",
         "[rules.CDC208] unknown option min_growth_ratoi (did you mean min_growth_ratio?)"),
        ('[rules.CDC204]\nmin_retained_bytes = "x"\n',
         "[rules.CDC204] min_retained_bytes: expected an integer number of bytes, got 'x'"),
        ("[rules.CDC999]\nx = 1\n", "[rules.CDC999] unknown rule (did you mean CDC009?)"),
        ("[estimates]\nfree_disk_byte = 1\n",
         "[estimates] unknown key free_disk_byte (did you mean free_disk_bytes?)"),
        ('select = ["NOPE"]\n', "select: unknown rule 'NOPE': give a code (CDC101), a code "
         "prefix (CDC1) or a rule name"),
        ("select = []\n", 'select = []: selects no rule (the default is ["CDC"])'),
    ],
)  # fmt: skip
def test_config_mistakes_exit_2_with_one_line(tmp_path: Path, config: str, line: str) -> None:
    code, stderr = analyze(tmp_path, config=config)
    assert code == 2
    assert stderr == f"cdc-preflight: {tmp_path / 'cdc-preflight.toml'}: {line}\n"


def test_a_selection_empty_for_the_profile_exits_2(tmp_path: Path) -> None:
    code, stderr = analyze(tmp_path, "--profile", "dms", config='select = ["CDC309"]\n')
    assert code == 2
    assert stderr == (
        f"cdc-preflight: {tmp_path / 'cdc-preflight.toml'}: select = ['CDC309'] and "
        "ignore = [] leave no rule for the dms profile\n"
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--tables", "shpo.*"],
         "table patterns shpo.* match none of the 11 tables (did you mean shop.*?)"),
        (["--tables", "shop"],
         "--tables/--publication: table pattern 'shop' has no schema: write shop.* for every "
         "table of schema shop, or *.shop for table shop in any schema"),
        (["--tables", "shop.*", "--publication", "dbz_publication"],
         "--tables/--publication: name the tables or a publication, not both: the publication "
         "already says which tables CDC captures"),
    ],
)  # fmt: skip
def test_scope_mistakes_exit_2_with_one_line(tmp_path: Path, args: list[str], line: str) -> None:
    code, stderr = analyze(tmp_path, *args)
    assert code == 2
    assert stderr == f"cdc-preflight: {line}\n"
