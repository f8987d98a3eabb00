"""What several of the correlator's modules share: log-time constants and small helpers on
the open message dict (the identity rule is `analyzer.identity`, the row of a message
`analyzer.dataset.carried`)."""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .passwd import Passwd

_S = 1_000_000
# A `removed` message waits this long (log time) for lines logged slightly out of order.
GRACE_US = 30 * _S
# A message or session silent for this long is written out as it is (Postfix gives up on
# a message after 5 days by default; a lost `removed` or `disconnect` line must not pin it).
STALE_US = 7 * 86_400 * _S
SWEEP_EVERY = 200_000  # events between sweeps for stale state
# A local message looks for its PHP entry this long after it started, so that the lines
# naming its recipients (header warning, deliveries) are in.
JOIN_DELAY_US = 15 * _S
# A Sendmail SMTP session silent this long has ended (Sendmail's default Timeout.command
# is 1 h), so its `AUTH=server` login no longer applies to the process's messages.
SESSION_US = 3600 * _S

Sink = Callable[[str, dict], None]

_DELIVERY_COUNTERS = {"sent": "sent", "deferred": "deferred", "bounced": "bounced"}
# script sources, weakest first: the Postfix X-PHP header (basename), an Exim `cwd=` line
# matched by process, one naming the message id, PHP's mail.log (full path)
_HEADER, _CWD_NEAR, _CWD_ID, _PHP = 1, 2, 3, 4
_MAX_RCPTS = 50


def is_local_ip(ip: str | None, own: frozenset[str] = frozenset()) -> bool:
    if not ip:
        return False
    if ip in own:
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return ip == "localhost"


def _authenticated_proto(proto: str | None) -> bool:
    """Sendmail's `proto=` of a message received in an authenticated session: ESMTPA,
    ESMTPSA (RFC 3848)."""
    if not proto:
        return False
    return proto[-1:] in "Aa" and "SMTP" in proto.upper()


def _add_rcpts(msg: dict, recipients: Iterable[str | None]) -> None:
    rcpts = msg.get("rcpts")
    if rcpts is None:
        rcpts = msg["rcpts"] = []
    for r in recipients:
        if not r:
            continue
        r = r.lower()
        if r not in rcpts and len(rcpts) < _MAX_RCPTS:
            rcpts.append(r)


def _set_script(msg: dict, path: str, rank: int) -> None:
    """The strongest source of a message's script wins: its full path, else a `cwd=`
    directory, else the X-PHP header's basename."""
    if rank >= msg.get("script_rank", 0):
        msg["script_path"] = path
        msg["script"] = path
        msg["script_rank"] = rank


class Concern:
    """The base of each concern of `Correlator` (a mixin): what the concerns reach of the
    core and of each other, declared for the type checker. Each concern declares its own
    attributes and `OWNER`, the concern name its parts of the checkpoint are declared
    under (`analyzer.dataset.checkpoint`)."""

    OWNER: str
    # the core's (core.py)
    sink: Sink
    local_ips: frozenset[str]
    passwd: Passwd
    hold_php: bool
    php_host_assumed: bool
    now: int
    next_due: int
    messages: dict[tuple[str, str], dict]  # a `Keyed` dict: a commit saves what changed
    closing: deque[tuple[int, tuple[str, str]]]  # (removed ts, key)
    # of other concerns
    joins: deque[tuple[int, str, str]]  # php.py
    filter_links: dict[tuple[str, str], list]  # filters.py

    if TYPE_CHECKING:  # defined by the modules named

        def _schedule(self, due: int) -> None: ...  # core.py

        def _local_ip(self, ip: str | None) -> bool: ...  # core.py

        def _message(self, e: dict) -> dict: ...  # messages.py

        def _final(self, msg: dict, e: dict) -> None: ...  # messages.py

        def _removed(self, e: dict) -> None: ...  # messages.py

        def _finish(self, key: tuple[str, str], removed: bool) -> None: ...  # messages.py

        def _join(self, msg: dict) -> None: ...  # php.py

        def _charge_children(self, parent: dict) -> None: ...  # filters.py
