"""Keeping credentials out of every output, whatever the facts or the rules carried.

The collector never stores the audit's own password, but a server setting can hold someone
else's (``primary_conninfo``), and a rule may quote it in a message or its evidence. Every
string that reaches a report goes through :func:`scrub`: a conninfo or URI password is
masked wherever it appears, and a value filed under a secret-sounding name is replaced.
"""

from __future__ import annotations

import json
import re
from typing import Any

REDACTED = "[redacted]"

_SECRET_WORDS = ("password", "passphrase", "secret", "token", "conninfo")
_SECRET_NAME = re.compile("|".join(_SECRET_WORDS), re.IGNORECASE)
_CONNINFO_PASSWORD = re.compile(
    r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s'\"]+)", re.IGNORECASE
)
_URI_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s/]*@")


def scrub_text(text: str) -> str:
    """``text`` with every ``password=...`` and ``scheme://user:password@`` masked."""
    if "password" not in text.lower() and "://" not in text:
        return text
    text = _CONNINFO_PASSWORD.sub(lambda m: m.group(1) + REDACTED, text)
    return _URI_PASSWORD.sub(lambda m: m.group(1) + REDACTED + "@", text)


def secret_kind(name: str) -> str | None:
    """``"conninfo"`` (mask its password), ``"secret"`` (replace it) or None."""
    if not _SECRET_NAME.search(name):
        return None
    return "conninfo" if "conninfo" in name.lower() else "secret"


def redact(name: str, value: str | None) -> str | None:
    """A setting's value: a conninfo keeps its shape without its password; any other value
    under a secret-sounding name is replaced."""
    if value is None:
        return None
    if secret_kind(name) == "secret" and value:
        return REDACTED
    return scrub_text(value)


def scrub(value: Any, kind: str | None = None) -> Any:
    """``value`` (JSON-like) with credentials masked; ``kind``: the secret it sits under.

    ``value`` itself when nothing in it can be masked (:func:`_nothing_to_mask`): the
    evidence of almost every finding, checked at once instead of value by value."""
    if kind is None and _nothing_to_mask(value):
        return value
    return _scrub(value, kind)


def _scrub(value: Any, kind: str | None) -> Any:
    if isinstance(value, str):
        return REDACTED if kind == "secret" and value else scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub(v, kind or secret_kind(str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, kind) for v in value]
    return value


# what the check below reads: every key and every string of a JSON-like value, verbatim
# (letters, ':' and '/' are never escaped), in one pass of the C encoder
_AS_JSON = json.JSONEncoder(ensure_ascii=False)


def _nothing_to_mask(value: Any) -> bool:
    """True when :func:`_scrub` would give ``value`` back unchanged: as JSON, it holds no
    secret-sounding word (which covers every secret-sounding key and every string holding
    ``password``, in any case) and no ``://``. A value that is not plain JSON data (a date,
    a model) is not judged here (False): it is walked."""
    try:
        text = _AS_JSON.encode(value)
    except (TypeError, ValueError):
        return False
    if "://" in text:
        return False
    if text.isascii():  # ignoring case is lower-casing then (the search is slower)
        lower = text.lower()
        return not any(word in lower for word in _SECRET_WORDS)
    return _SECRET_NAME.search(text) is None
