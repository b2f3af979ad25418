"""Every package imports on its own, first, in a fresh interpreter: no import cycle hides
behind the order in which the rest of the suite happens to import things."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import audit

ROOT = Path(__file__).resolve().parents[1]


def test_every_audit_module_imports_first_in_a_fresh_interpreter() -> None:
    modules = sorted(
        m.name
        for m in pkgutil.walk_packages(audit.__path__, "audit.")
        if not m.name.endswith("__main__")
    )
    # one interpreter per module would take a minute; a fresh one that imports each module
    # after clearing every audit module from sys.modules is the same test, faster
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    ours = [m for m in sys.modules if m.split('.')[0] in ('audit', 'rules')]\n"
        "    for loaded in ours:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError as exc:\n"
        "        failed.append(f'{name}: {exc}')\n"
        "print('\\n'.join(failed))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert done.stdout.strip() == "", done.stdout
