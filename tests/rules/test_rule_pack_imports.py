"""Loading the rule pack imports neither boto3 nor the collectors: rules are pure functions."""

from __future__ import annotations

import subprocess
import sys

PROBE = (
    "import sys, audit.engine.registry as r; r.all_rules(); "
    "print(sorted(m for m in sys.modules "
    "if m.startswith(('boto', 'audit.collect', 'audit.aws.collect'))))"
)


def test_loading_every_rule_imports_no_boto3_and_no_collector() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
