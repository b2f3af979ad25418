"""Which pg_hba.conf line a connection meets, from ``Facts.hba_rules`` (CDC311).

The server takes the first line whose type, database, user and address match, and that line's
method decides. A logical replication connection (``replication=database``, what CDC connectors
open) matches database lines like an ordinary connection: the ``replication`` keyword matches
physical replication connections only. What the facts cannot settle (a host name, ``samenet``,
group membership of a role we did not audit, a line the server cannot load) makes the answer
undetermined instead of guessed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import PurePath

from audit.facts.connection import HbaRule

_TCP_TYPES = {"host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc"}


@dataclass(frozen=True)
class Connection:
    """The connection to judge: how and from where, as which role, to which database."""

    database: str
    role: str
    local: bool
    client_addr: str | None
    ssl: bool | None
    member_of: tuple[str, ...] | None = None  # None: the role's groups are unknown


@dataclass(frozen=True)
class HbaMatch:
    """The first line that matches (``None``: no line does), unless ``undetermined`` names why
    the facts cannot tell."""

    line: HbaRule | None
    undetermined: str | None = None

    @property
    def rejects(self) -> bool:
        return self.undetermined is None and (
            self.line is None or self.line.auth_method == "reject"
        )


def first_match(rules: list[HbaRule], conn: Connection) -> HbaMatch:
    broken = next((r for r in rules if r.error), None)
    if broken is not None:
        return HbaMatch(
            None,
            f"pg_hba.conf line {broken.line_number} cannot be loaded ({broken.error}): "
            "the server keeps the rules it loaded before",
        )
    for rule in rules:
        verdict = _matches(rule, conn)
        if verdict is True:
            return HbaMatch(rule)
        if isinstance(verdict, str):
            return HbaMatch(rule, f"line {rule.line_number}: {verdict}")
    return HbaMatch(None)


def describe(rule: HbaRule) -> str:
    """``line 97: host replication all 127.0.0.1/32 scram-sha-256``; a line of an included
    file (16+) names the file."""
    included = rule.file_name and PurePath(rule.file_name).name != "pg_hba.conf"
    where = f" (in {rule.file_name})" if included else ""
    parts = [
        rule.type or "?",
        ",".join(rule.database or []),
        ",".join(rule.user_name or []),
        _address_text(rule),
        rule.auth_method or "?",
    ]
    return f"line {rule.line_number}{where}: " + " ".join(p for p in parts if p)


def _address_text(rule: HbaRule) -> str:
    if rule.address is None:
        return ""
    if rule.netmask is None:
        return rule.address
    try:
        net = ipaddress.ip_network(f"{rule.address}/{rule.netmask}", strict=False)
    except ValueError:
        return f"{rule.address} {rule.netmask}"
    return str(net)


def _matches(rule: HbaRule, conn: Connection) -> bool | str:
    """True, False, or why the facts cannot tell."""
    for check in (_type_matches, _database_matches, _user_matches, _address_matches):
        verdict = check(rule, conn)
        if verdict is not True:
            return verdict
    return True


def _type_matches(rule: HbaRule, conn: Connection) -> bool | str:
    kind = rule.type or ""
    if kind == "local" or conn.local:
        return kind == "local" and conn.local
    if kind not in _TCP_TYPES:
        return False
    if kind in ("hostssl", "hostnossl"):
        if conn.ssl is None:
            return "whether the connection uses SSL is unknown"
        return conn.ssl == (kind == "hostssl")
    if kind == "hostgssenc":
        return "GSSAPI encryption is not observed"
    return True


def _database_matches(rule: HbaRule, conn: Connection) -> bool | str:
    for token in rule.database or []:
        if token == "all":
            return True
        if token == "sameuser":
            if conn.database == conn.role:
                return True
        elif token in ("samerole", "samegroup"):
            if conn.member_of is None:
                return f"{token} needs the role's memberships"
            if conn.database in conn.member_of:
                return True
        elif token == "replication":
            continue  # physical replication connections only
        elif _name_matches(token, conn.database):
            return True
    return False


def _user_matches(rule: HbaRule, conn: Connection) -> bool | str:
    for token in rule.user_name or []:
        if token == "all":
            return True
        if token.startswith("+"):
            if conn.member_of is None:
                return f"{token} needs the role's memberships"
            if token[1:] in conn.member_of or token[1:] == conn.role:
                return True
        elif _name_matches(token, conn.role):
            return True
    return False


def _name_matches(token: str, name: str) -> bool:
    if token.startswith("/"):  # a regular expression (16+)
        return re.search(token[1:], name) is not None
    return token == name


def _address_matches(rule: HbaRule, conn: Connection) -> bool | str:
    if conn.local or rule.address in (None, "all"):
        return True
    if rule.address in ("samehost", "samenet"):
        return f"{rule.address} depends on the server's interfaces"
    if conn.client_addr is None:
        return "the client address is unknown"
    try:
        client = ipaddress.ip_address(conn.client_addr)
        if rule.netmask is not None:
            network = ipaddress.ip_network(f"{rule.address}/{rule.netmask}", strict=False)
        else:
            network = ipaddress.ip_network(rule.address or "", strict=False)
    except ValueError:
        return f"{rule.address} is a host name"
    return client in network
