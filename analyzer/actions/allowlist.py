"""What is never acted on: the server's own addresses and networks, monitoring, known
senders. An action whose IP, login, uid, user or script path is allowlisted is not
proposed (and counted as such).

The allowlist is a text file, one entry per line (`#` starts a comment), and the
`--allow ENTRY` flags add to it:

    127.0.0.0/8            an address or a network (CIDR)
    192.0.2.10
    sasl:monitor@example.com   a SASL login (also written bare: monitor@example.com)
    @example.com           every SASL login of that domain
    uid:33                 a local uid
    user:www-data          a local account name
    /usr/local/bin/check_mail.php   a script (or a directory: everything under it)

Loopback and the configuration's `local_ips` are always allowlisted, and the
configuration's `[actions] allow` list adds entries of the same forms.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AnalyzerError
from . import validate

DEFAULT_FILE = "/etc/analyzer/allowlist"
ENV = "ANALYZER_ALLOWLIST"
_ALWAYS = ("127.0.0.0/8", "::1/128")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AllowlistError(AnalyzerError):
    """An allowlist entry that is none of the forms above (named with its file and line)."""


@dataclass
class Allowlist:
    networks: list[Network] = field(default_factory=list)
    logins: set[str] = field(default_factory=set)  # lower-cased
    domains: set[str] = field(default_factory=set)  # lower-cased, without the @
    uids: set[int] = field(default_factory=set)
    users: set[str] = field(default_factory=set)
    paths: list[str] = field(default_factory=list)

    def add(self, entry: str, where: str = "--allow") -> None:
        text = entry.strip()
        kind, sep, rest = text.partition(":")
        if sep and kind in ("sasl", "uid", "user", "ip"):
            value = rest.strip()
        else:
            kind, value = "", text
        if kind in ("", "ip") and (net := validate.network(value)) is not None:
            self.networks.append(net)
        elif kind == "uid" and (n := validate.uid(value)) is not None:
            self.uids.add(n)
        elif kind == "user" and validate.user(value):
            self.users.add(value)
        elif kind in ("", "sasl") and value.startswith("@") and validate.host(value[1:]):
            self.domains.add(value[1:].lower())
        elif kind in ("", "sasl") and validate.login(value):
            self.logins.add(value.lower())
        elif kind == "" and validate.path(value.rstrip("/") or "/"):
            self.paths.append(value.rstrip("/"))
        else:
            raise AllowlistError(
                f"{where}: {entry!r} is not an IP, a network, sasl:LOGIN, @DOMAIN, uid:N, "
                "user:NAME or an absolute path"
            )

    def ip(self, address: str) -> bool:
        addr = ipaddress.ip_address(address)
        return any(addr.version == net.version and addr in net for net in self.networks)

    def login(self, name: str) -> bool:
        name = name.lower()
        return name in self.logins or name.rpartition("@")[2] in self.domains and "@" in name

    def uid(self, n: int | None) -> bool:
        return n is not None and n in self.uids

    def user(self, name: str | None) -> bool:
        return name is not None and name in self.users

    def path(self, p: str) -> bool:
        return any(p == a or p.startswith(a + "/") for a in self.paths)


def load(
    file: str | os.PathLike | None = None,
    entries: Iterable[str] = (),
    local_ips: Iterable[str] = (),
    configured: Iterable[str] = (),
    origin: str | None = None,
) -> Allowlist:
    """The allowlist of `file` (else $ANALYZER_ALLOWLIST, else /etc/analyzer/allowlist when
    it exists), the `entries` of the command line, loopback, `local_ips` and the
    `configured` entries (`[actions] allow` of the configuration file `origin`)."""
    allow = Allowlist()
    for net in _ALWAYS:
        allow.add(net, "built-in")
    for address in local_ips:
        allow.add(address, "local_ips")
    for entry in configured:
        allow.add(entry, f"{origin or 'configuration'}: actions.allow")
    path = _find(file)
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise AllowlistError(f"{path}: cannot read allowlist: {e.strerror or e}") from None
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if line:
                allow.add(line, f"{path}:{number}")
    for entry in entries:
        allow.add(entry)
    return allow


def _find(file: str | os.PathLike | None) -> Path | None:
    if file:
        path = Path(file).expanduser()
        if not path.is_file():
            raise AllowlistError(f"{path}: no such allowlist file")
        return path
    env = os.environ.get(ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise AllowlistError(f"{path} (from {ENV}): no such allowlist file")
        return path
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None
