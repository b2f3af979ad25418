"""cdc-preflight: audit PostgreSQL before change data capture, and plan its capacity."""

__version__ = "0.1.0"
