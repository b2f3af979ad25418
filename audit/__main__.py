"""``python -m audit`` is the ``cdc-preflight`` command."""

from audit.cli import main

main()
