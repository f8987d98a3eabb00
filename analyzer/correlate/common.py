"""What several of the correlator's modules share: log-time constants, the identity rule,
the open message's row, and small helpers on the open message dict."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from ..openstate import Keyed

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


def identity_of(msg: dict) -> str | None:
    """The accountable principal: SASL user, else local uid or login, else client IP.
    (With `--passwd`, a login and a uid of the same account were resolved to both at
    ingest, so the uid form wins for both.) A non-delivery notice the MTA made for a
    message (backscatter) is charged to that message's identity."""
    if msg.get("bounce_identity"):
        return msg["bounce_identity"]
    if msg.get("sasl_username"):
        return "sasl:" + msg["sasl_username"]
    if msg.get("uid") is not None:
        return "uid:" + str(msg["uid"])
    if msg.get("user"):
        return "user:" + msg["user"]
    if msg.get("client_ip"):
        return "ip:" + msg["client_ip"]
    return None


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
    return bool(proto) and proto[-1:] in "Aa" and "SMTP" in proto.upper()


def _add_rcpts(msg: dict, recipients) -> None:
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


def _keyed(saved, key_of) -> Keyed:
    """A saved collection as a `Keyed` dict: as the store loaded it, or from a list of
    its values (a version 1 checkpoint)."""
    if isinstance(saved, Keyed):
        return saved
    return Keyed((key_of(v), v) for v in saved or ())


def message_row(msg: dict, complete: bool) -> dict:
    """The open message dict becomes its row (the writer takes only schema columns)."""
    if msg["origin"] == "unknown" and msg["sender"] == "":
        msg["origin"] = "bounce"  # MTA-generated: no client, no pickup, null sender
    msg["identity"] = identity_of(msg)
    msg["complete"] = complete
    return msg


def open_message_rows(state: dict) -> list[dict]:
    """Rows for the messages a saved state still holds open (`complete` = False; a
    message whose `removed` line was seen counts as complete)."""
    messages = state.get("messages") or ()
    if isinstance(messages, dict):
        messages = messages.values()
    return [message_row(dict(m), complete=m["removed_at"] is not None) for m in messages]
