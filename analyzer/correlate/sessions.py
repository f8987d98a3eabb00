"""SMTP sessions, rejects and AUTH failures, and Sendmail's session state: the login of
an SMTP session (`AUTH=server`) and rejects held for the session's `from=` line.

State (`checkpoint.owned_by(SESSIONS)`): `sessions` (a `Keyed` dict: open connections),
`logins`, `auth_seen`, `held`."""

from __future__ import annotations

from collections import deque

from ..dataset.checkpoint import SESSIONS
from ..dataset.openstate import Keyed
from .common import SESSION_US, STALE_US, Concern, _authenticated_proto

# Sendmail rejects wait this long for the session's `from=` line.
HOLD_US = 10 * 60 * 1_000_000

_COUNTERS = ("counters", "auth_ok", "auth_total", "commands_ok", "commands_total")


class Sessions(Concern):
    """Mixin of `Correlator`: connections, rejects, AUTH failures and Sendmail logins."""

    OWNER = SESSIONS
    sessions: dict[tuple[str, str, int | None], dict]
    logins: dict[tuple, dict]
    auth_seen: dict[tuple, int]
    held: dict[tuple[str, str], list[dict]]
    held_order: deque[tuple[int, str, str]]

    def _init_sessions(self) -> None:
        # the bulk of the open state with `messages`: `Keyed` so a commit saves only changes
        self.sessions = Keyed()
        # Sendmail: SMTP AUTH of a session, individual AUTH failures seen per session
        self.logins = {}
        self.auth_seen = {}
        # Sendmail: rejects waiting for their session's from= line
        self.held = {}
        self.held_order = deque()

    # --- rejects --------------------------------------------------------------------------
    def _reject(self, e: dict) -> None:
        if self.logins and e.get("stage") == "CONNECT":
            self._session_over(e)
        session = self.sessions.get((e["host"], e["program"], e["pid"]))
        queue_id = e.get("queue_id")
        if e.get("sasl_username") is None:
            e["sasl_username"] = session["sasl_username"] if session else None
        if e["family"] == "sendmail" and queue_id:
            key = (e["host"], queue_id)  # the session's from= line names sender and client
            if key not in self.held:
                self.held[key] = []
                self.held_order.append((e["ts"], *key))
                self._schedule(e["ts"] + HOLD_US + 1)
            self.held[key].append(e)
            return
        self._write_reject(e)
        # A message rejected at DATA or after has no `removed` line: it ends here.
        if queue_id and e.get("stage") in ("DATA", "END-OF-MESSAGE"):
            key = (e["host"], queue_id)
            if key in self.messages:
                self.messages[key]["rejected"] = True
                self._finish(key, removed=True)

    def _write_reject(self, e: dict) -> None:
        e["local_client"] = self._local_ip(e.get("client_ip"))
        self.sink("rejects", e)

    def _release(self, key: tuple[str, str], arrival: dict | None) -> None:
        """Write a session's held Sendmail rejects, completed by its `from=` line."""
        held = self.held.pop(key, None)
        if not held:
            return
        for e in held:
            if arrival is not None:
                if e.get("sender") is None:
                    e["sender"] = arrival.get("sender")
                if e.get("client_ip") is None:
                    e["client_name"] = arrival.get("client_name")
                    e["client_ip"] = arrival.get("client_ip")
                if e.get("sasl_username") is None:
                    e["sasl_username"] = arrival.get("sasl_username")
                if e.get("proto") is None:
                    e["proto"] = arrival.get("proto")
            self._write_reject(e)
            if e.get("stage") == "DATA" and key in self.messages:
                self.messages[key]["rejected"] = True
                self._finish(key, removed=True)

    def _due_held(self, now: int) -> None:
        held = self.held_order
        while held and held[0][0] + HOLD_US < now:
            _, host, qid = held.popleft()
            self._release((host, qid), None)

    def _next_held(self, due: int) -> int:
        if self.held_order:
            due = min(due, self.held_order[0][0] + HOLD_US + 1)
        return due

    # --- Sendmail: the login of an SMTP session ------------------------------------------
    # Sendmail logs `AUTH=server, relay=..., authid=...` before MAIL FROM, so without a
    # queue id (NOQID). An SMTP session is one process: the login applies to the messages
    # that process (host, program, pid) accepts from the same client until the session
    # ends (a new connection on the process, an unauthenticated message, SESSION_US of
    # silence) or another AUTH replaces it. Carried in the checkpoint (`logins`).
    def _authenticated(self, e: dict) -> None:
        self.logins[(e["host"], e["program"], e["pid"])] = {
            "ts": e["ts"],
            "last_seen": e["ts"],
            "client_ip": e.get("client_ip"),
            "sasl_method": e.get("sasl_method"),
            "sasl_username": e.get("sasl_username"),
        }

    def _session_login(self, e: dict) -> None:
        """Give a Sendmail `from=` its session's login, or end a login that cannot be its
        session's: another client (the pid was reused), too long a silence, or a `proto=`
        without Sendmail's `A` (ESMTPA, ESMTPSA) of an authenticated session."""
        key = (e["host"], e["program"], e["pid"])
        login = self.logins.get(key)
        if login is None:
            return
        proto = e.get("proto")
        if (
            login["client_ip"] != e["client_ip"]
            or e["ts"] - login["last_seen"] > SESSION_US
            or (proto and not _authenticated_proto(proto))
        ):
            del self.logins[key]
            return
        if e["ts"] > login["last_seen"]:
            login["last_seen"] = e["ts"]
        e["sasl_username"] = login["sasl_username"]
        e["sasl_method"] = login["sasl_method"]

    def _session_over(self, e: dict) -> None:
        """A line that only a new connection logs (a CONNECT-stage reject, an AUTH failure:
        an authenticated session cannot fail AUTH again): the process's login is over."""
        self.logins.pop((e["host"], e["program"], e["pid"]), None)

    def _live_logins(self) -> dict:
        cutoff = self.now - SESSION_US
        return {k: v for k, v in self.logins.items() if v["last_seen"] >= cutoff}

    def _auth_failed(self, e: dict) -> None:
        if e["family"] == "sendmail":
            key = (e["host"], e["program"], e["pid"])
            if e.get("summary"):
                # `possible SMTP attack: command=AUTH, count=N` sums up the session's AUTH
                # attempts; with LogLevel >= 10 each failure was logged already
                seen = self.auth_seen.get(key)
                if seen is not None and e["ts"] - seen <= SESSION_US:
                    return
            else:
                self.auth_seen[key] = e["ts"]
                if self.logins:
                    self._session_over(e)
        self.sink("auth_failures", e)

    # --- connections ------------------------------------------------------------------------
    def _connect(self, e: dict) -> None:
        key = (e["host"], e["program"], e["pid"])
        if key in self.sessions:  # its disconnect was lost
            self._end_session(key, None)
        self.sessions[key] = {
            "ts": e["ts"],
            "host": e["host"],
            "program": e["program"],
            "pid": e["pid"],
            "client_name": e.get("client_name"),
            "client_ip": e.get("client_ip"),
            "sasl_method": None,
            "sasl_username": None,
            "messages": 0,
            "last_seen": e["ts"],
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

    def _session_message(self, e: dict) -> None:
        """A message began in the session of `e`'s process (a Postfix `client=` line)."""
        session = self.sessions.get((e["host"], e["program"], e["pid"]))
        if session is not None:
            session["messages"] += 1
            if e.get("sasl_username"):
                session["sasl_method"] = e.get("sasl_method")
                session["sasl_username"] = e["sasl_username"]

    # --- stale state and the checkpoint -------------------------------------------------------
    def _sweep_sessions(self) -> None:
        cutoff = self.now - STALE_US
        for key in [k for k, s in self.sessions.items() if s["last_seen"] < cutoff]:
            self._end_session(key, None)
        session_cutoff = self.now - SESSION_US
        self.logins = self._live_logins()
        for key in [k for k, ts in self.auth_seen.items() if ts < session_cutoff]:
            del self.auth_seen[key]

    def _sessions_state(self) -> dict:
        return {
            "sessions": self.sessions,
            "logins": [[*k, v] for k, v in self._live_logins().items()],
            "auth_seen": [[*k, ts] for k, ts in self.auth_seen.items()],
            "held": [
                [ts, host, qid, self.held.get((host, qid), [])]
                for ts, host, qid in self.held_order
                if (host, qid) in self.held
            ],
        }

    def _load_sessions(self, state: dict) -> None:
        """From `checkpoint.open_parts`: every part there, in the current format."""
        self.sessions = state["sessions"]
        self.logins = {(h, p, pid): v for h, p, pid, v in state["logins"]}
        self.auth_seen = {(h, p, pid): ts for h, p, pid, ts in state["auth_seen"]}
        for ts, host, qid, events in state["held"]:
            self.held[(host, qid)] = events
            self.held_order.append((ts, host, qid))
