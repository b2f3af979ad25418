"""Loading the rule pack imports neither boto3 nor the collection: rules are pure functions."""

from __future__ import annotations

import subprocess
import sys

PROBE = (
    "import sys, audit.engine.registry as r; rules = r.all_rules(); "
    "print(len(rules)); "
    "print(sorted(m for m in sys.modules "
    "if m.split('.')[0] in ('boto3', 'botocore', 'moto', 'psycopg') "
    "or m == 'audit.collect' or m.startswith(('audit.collect.', 'audit.demo'))))"
)


def test_loading_every_rule_imports_no_boto3_and_no_collection() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    count, loaded = done.stdout.splitlines()
    assert int(count) > 0
    assert loaded == "[]"
