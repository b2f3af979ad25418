"""``python -m audit`` is the ``cdc-preflight`` command."""

from audit.entry import main

main()
