"""Events -> rows of `messages`, `deliveries`, `rejects`, `auth_failures`, `connections`.

Per host, a queue id ties a message's lines together and a program + pid ties an SMTP
session's lines together. Everything still open when the input ends (a deferred message,
a session without its disconnect) is kept in `Correlator.state()` so the next run, which
starts from that state, produces exactly what one uninterrupted run would have.
All decisions use log time, never the wall clock, for the same reason.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from typing import Callable

# A `removed` message waits this long (log time) for lines logged slightly out of order.
GRACE_US = 30 * 1_000_000
# A message or session silent for this long is written out as it is (Postfix gives up on
# a message after 5 days by default; a lost `removed` or `disconnect` line must not pin it).
STALE_US = 7 * 86_400 * 1_000_000
SWEEP_EVERY = 200_000  # events between sweeps for stale state

Sink = Callable[[str, dict], None]

_DELIVERY_COUNTERS = {"sent": "sent", "deferred": "deferred", "bounced": "bounced"}


def identity_of(msg: dict) -> str | None:
    """The accountable principal: SASL user, else local uid or login, else client IP."""
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


class Correlator:
    def __init__(self, sink: Sink, local_ips: frozenset[str] = frozenset(),
                 state: dict | None = None):
        self.sink = sink
        self.local_ips = local_ips
        self.messages: dict[tuple[str, str], dict] = {}
        self.sessions: dict[tuple[str, str, int | None], dict] = {}
        self.closing: deque[tuple[int, tuple[str, str]]] = deque()  # (removed ts, key)
        self.now = 0
        self._since_sweep = 0
        self._local: dict[str | None, bool] = {}  # client ip -> is local
        if state:
            self._load(state)
        self.handlers = {
            "connect": self._connect, "disconnect": self._disconnect, "client": self._client,
            "pickup": self._pickup, "script_header": self._script_header,
            "message_id": self._message_id, "queued": self._queued,
            "delivery": self._delivery, "removed": self._removed, "expired": self._expired,
            "reject": self._reject, "auth_failed": self._auth_failed,
        }

    # --- entry point ------------------------------------------------------------------
    def feed(self, event: dict) -> None:
        handler = self.handlers.get(event["event"])
        if handler is None:
            return
        ts = event["ts"]
        if ts > self.now:
            self.now = ts
        while self.closing and self.closing[0][0] + GRACE_US < self.now:
            self._finish(self.closing.popleft()[1], removed=True)
        handler(event)
        self._since_sweep += 1
        if self._since_sweep >= SWEEP_EVERY:
            self._since_sweep = 0
            self.sweep_stale()

    # --- messages ---------------------------------------------------------------------
    def _new_message(self, e: dict, origin: str) -> dict:
        return {
            "host": e["host"], "queue_id": e["queue_id"], "first_seen": e["ts"],
            "last_seen": e["ts"], "origin": origin, "program": None, "sasl_method": None,
            "sasl_username": None, "uid": None, "user": None, "script": None,
            "script_path": None, "client_name": None, "client_ip": None, "sender": None,
            "size": None, "nrcpt": None, "message_id": None, "sent": 0, "deferred": 0,
            "bounced": 0, "expired": False, "rejected": False, "removed_at": None,
        }

    def _message(self, e: dict) -> dict:
        """The open message of this queue id, created on first sight."""
        key = (e["host"], e["queue_id"])
        msg = self.messages.get(key)
        if msg is None:
            msg = self.messages[key] = self._new_message(e, "unknown")
        elif e["ts"] > msg["last_seen"]:
            msg["last_seen"] = e["ts"]
        return msg

    def _origin_message(self, e: dict, origin: str) -> dict:
        """A message-starting line (client=, pickup): a queue id that already had its
        start is being reused, so the earlier lifecycle ends here."""
        key = (e["host"], e["queue_id"])
        msg = self.messages.get(key)
        if msg is not None and (msg["origin"] != "unknown" or msg["removed_at"] is not None):
            self._finish(key, removed=msg["removed_at"] is not None)
            msg = None
        if msg is None:
            msg = self.messages[key] = self._new_message(e, origin)
        msg["origin"] = origin
        msg["program"] = e["program"]
        if e["ts"] < msg["first_seen"]:
            msg["first_seen"] = e["ts"]
        return msg

    def _client(self, e: dict) -> None:
        msg = self._origin_message(e, "sasl" if e.get("sasl_username") else "smtp")
        msg["client_name"] = e["client_name"]
        msg["client_ip"] = e["client_ip"]
        msg["sasl_method"] = e.get("sasl_method")
        msg["sasl_username"] = e.get("sasl_username")
        session = self.sessions.get((e["host"], e["program"], e["pid"]))
        if session is not None:
            session["messages"] += 1
            if e.get("sasl_username"):
                session["sasl_method"] = e.get("sasl_method")
                session["sasl_username"] = e["sasl_username"]

    def _pickup(self, e: dict) -> None:
        msg = self._origin_message(e, "local")
        msg["uid"] = e["uid"]
        if msg["sender"] is None:
            msg["sender"] = e["sender"]

    def _script_header(self, e: dict) -> None:
        msg = self._message(e)
        if msg["uid"] is None:
            msg["uid"] = e["uid"]
        if msg["script"] is None:
            msg["script"] = e["script"]

    def _message_id(self, e: dict) -> None:
        self._message(e)["message_id"] = e["message_id"]

    def _queued(self, e: dict) -> None:
        msg = self._message(e)
        msg["sender"] = e["sender"]  # qmgr's from= is the envelope sender (pickup's can be a login)
        msg["size"] = e["size"]
        msg["nrcpt"] = e["nrcpt"]

    def _delivery(self, e: dict) -> None:
        msg = self._message(e)
        counter = _DELIVERY_COUNTERS.get(e["status"])
        if counter:
            msg[counter] += 1
        # the event already holds the row's fields (see events.derive); add the message's
        e["message_first_seen"] = msg["first_seen"]
        e["identity"] = identity_of(msg)
        self.sink("deliveries", e)

    def _expired(self, e: dict) -> None:
        msg = self._message(e)
        msg["expired"] = True
        if msg["sender"] is None:
            msg["sender"] = e["sender"]

    def _removed(self, e: dict) -> None:
        key = (e["host"], e["queue_id"])
        msg = self._message(e)
        if msg["removed_at"] is None:
            msg["removed_at"] = e["ts"]
            self.closing.append((e["ts"], key))

    def _finish(self, key: tuple[str, str], removed: bool) -> None:
        msg = self.messages.pop(key, None)
        if msg is not None:
            self.sink("messages", message_row(msg, complete=removed))

    # --- rejects, auth, sessions --------------------------------------------------------
    def _reject(self, e: dict) -> None:
        session = self.sessions.get((e["host"], e["program"], e["pid"]))
        queue_id = e.get("queue_id")
        e["sasl_username"] = session["sasl_username"] if session else None
        ip = e.get("client_ip")
        local = self._local.get(ip)
        if local is None:
            local = self._local[ip] = is_local_ip(ip, self.local_ips)
        e["local_client"] = local
        self.sink("rejects", e)
        # A message rejected at DATA or after has no `removed` line: it ends here.
        if queue_id and e.get("stage") in ("DATA", "END-OF-MESSAGE"):
            key = (e["host"], queue_id)
            if key in self.messages:
                self.messages[key]["rejected"] = True
                self._finish(key, removed=True)

    def _auth_failed(self, e: dict) -> None:
        self.sink("auth_failures", e)

    def _connect(self, e: dict) -> None:
        key = (e["host"], e["program"], e["pid"])
        if key in self.sessions:  # its disconnect was lost
            self._end_session(key, None)
        self.sessions[key] = {
            "ts": e["ts"], "host": e["host"], "program": e["program"], "pid": e["pid"],
            "client_name": e.get("client_name"), "client_ip": e.get("client_ip"),
            "sasl_method": None, "sasl_username": None, "messages": 0, "last_seen": e["ts"],
        }

    def _disconnect(self, e: dict) -> None:
        key = (e["host"], e["program"], e["pid"])
        if key not in self.sessions:  # connected before the logs began
            self._connect(e)
        self._end_session(key, e)

    def _end_session(self, key, disconnect: dict | None) -> None:
        session = self.sessions.pop(key)
        if disconnect is not None:
            session["disconnect_ts"] = disconnect["ts"]
            for name in _COUNTERS:
                session[name] = disconnect.get(name)
        self.sink("connections", session)

    # --- end of input and carried state -------------------------------------------------
    def sweep_stale(self) -> None:
        cutoff = self.now - STALE_US
        for key in [k for k, m in self.messages.items() if m["last_seen"] < cutoff]:
            self._finish(key, removed=False)
        for key in [k for k, s in self.sessions.items() if s["last_seen"] < cutoff]:
            self._end_session(key, None)

    def state(self) -> dict:
        """Everything still open, as plain JSON-able data."""
        return {
            "now": self.now,
            "messages": list(self.messages.values()),
            "sessions": list(self.sessions.values()),
            "closing": [[ts, list(key)] for ts, key in self.closing],
        }

    def _load(self, state: dict) -> None:
        self.now = state["now"]
        self.messages = {(m["host"], m["queue_id"]): m for m in state["messages"]}
        self.sessions = {(s["host"], s["program"], s["pid"]): s for s in state["sessions"]}
        self.closing = deque((ts, tuple(key)) for ts, key in state["closing"])


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
    return [message_row(dict(m), complete=m["removed_at"] is not None)
            for m in state.get("messages", [])]


_COUNTERS = ("counters", "auth_ok", "auth_total", "commands_ok", "commands_total")
