"""History beside the pipeline: runs stored per target, and what changed between two reports.

- :mod:`audit.history.store` (SQLite or PostgreSQL, see :func:`open_store`) keeps every run's
  report.json and facts.json;
- :mod:`audit.history.diff` compares two report.json documents (a pure function);
- :mod:`audit.history.baseline` ties both into ``audit``/``analyze``: ``--history``,
  ``--baseline``, ``--keep-weeks``, ``--fail-on-new``.
"""
