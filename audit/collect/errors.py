"""Errors that stop the audit, and messages that are safe to show: one line, no password."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

_KEYWORD_PASSWORD = re.compile(r"\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


class CollectError(RuntimeError):
    """The audit cannot run at all: the server is unreachable, refuses us, or is not one we audit.

    ``str(exc)`` is one human-readable line and never contains a password.
    """


def secrets_in(conninfo: str | None) -> list[str]:
    """Every password ``conninfo`` (key=value or URI) or ``$PGPASSWORD`` carries, as written."""
    found: list[str] = []
    text = conninfo or ""
    for match in _KEYWORD_PASSWORD.finditer(text):
        raw = match.group(1)
        found.append(raw)
        if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
            found.append(re.sub(r"\\(.)", r"\1", raw[1:-1]))
    if "://" in text:
        try:
            password = urlsplit(text).password
        except ValueError:
            password = None
        if password:
            found.extend([password, unquote(password)])
        # a malformed URI (an unescaped @, / or # in the password, a broken host) still
        # carries its password between the first ':' after '://' and an '@'
        for userinfo in re.findall(r"://([^/?#]*)@", text) + re.findall(r"://([^@]*)@", text):
            if ":" in userinfo:
                candidate = userinfo.split(":", 1)[1]
                pieces = [p for p in candidate.split("@") if len(p) >= 4]
                found.extend([candidate, unquote(candidate), *pieces])
        found.extend(unquote(m) for m in re.findall(r"[?&]password=([^&]*)", text))
    if env := os.environ.get("PGPASSWORD"):
        found.append(env)
    return [s for s in found if s]


_URI_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/?#@\s]*:)[^@\s]*@", re.IGNORECASE)


def mask_passwords(value: str) -> str:
    """``value`` with the password of any conninfo in it replaced by ``***``.

    Settings such as ``primary_conninfo`` can carry a replication password; the facts
    document must never hold one.
    """
    value = _KEYWORD_PASSWORD.sub("password=***", value)
    return _URI_PASSWORD.sub(r"\1***@", value)


_WORD = re.compile(r"\w")


def hide_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` wherever it stands as a token of its own.

    A secret is not matched inside a longer word: the password ``on`` leaves "connection"
    alone. Where the secret begins or ends with a word character (letter, digit, ``_``), the
    character beside it must not be one; the punctuation a conninfo, URI or message puts
    around a password (``=``, ``:``, ``@``, quotes, spaces) lets it match. Longest first."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        before = r"(?<!\w)" if _WORD.match(secret[0]) else ""
        after = r"(?!\w)" if _WORD.match(secret[-1]) else ""
        text = re.sub(before + re.escape(secret) + after, "***", text)
    return text


def one_line(message: str, secrets: Iterable[str] = ()) -> str:
    """``message`` on a single line, whitespace collapsed, with every secret replaced by ``***``."""
    message = hide_secrets(message, secrets)
    parts = [" ".join(line.split()) for line in message.splitlines()]
    return "; ".join(p for p in parts if p).strip() or "unknown error"
