"""What the platform's configuration means: configured against running, and what is staged.

Pure functions of the facts (no network, no SQL), shared by the rules, the fixes and the report:
:mod:`audit.platform.reconcile` holds parameter groups and status fields against what the writer
runs; :mod:`audit.platform.staged` gives one typed answer per setting that is configured but not
running yet (a file change or a parameter group waiting for a restart or reboot).
"""
