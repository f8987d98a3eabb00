"""The correlator's lifecycle core: events in, due work by log time, the stale sweep, and
the checkpoint state assembled from each concern's part.

The concerns are mixins, each owning its part of the state (`_init_*`, `_*_state`,
`_load_*`; the parts are declared in `analyzer.dataset.checkpoint` under the concern's
`OWNER`): `Messages` (messages.py: a message's lifecycle, with the core's parts),
`Sessions` (sessions.py), `SendmailHop`, `EximCwd`, `PhpJoin`, `FilterHops`."""

from __future__ import annotations

from collections import deque

from ..dataset import checkpoint
from ..dataset.openstate import Keyed
from .common import GRACE_US, STALE_US, SWEEP_EVERY, Sink, is_local_ip
from .exim_cwd import EximCwd
from .filters import FilterHops
from .messages import Messages
from .passwd import Passwd
from .php import PhpJoin
from .sendmail_hop import SendmailHop
from .sessions import Sessions


class Correlator(Messages, Sessions, SendmailHop, EximCwd, PhpJoin, FilterHops):
    """Events in (`feed`), rows out (`sink(table, row)`), the open state carried from one
    run to the next (`state()`, and back through `state=`)."""

    OWNER = checkpoint.CORE

    def __init__(
        self,
        sink: Sink,
        local_ips: frozenset[str] = frozenset(),
        state: dict | None = None,
        passwd: Passwd | None = None,
        hold_php: bool = True,
        php_host_assumed: bool = False,
    ):
        self.sink = sink
        self.local_ips = local_ips
        self.passwd = passwd or Passwd()
        # PHP entries wait for the MTA's submissions; a dataset fed only PHP logs (no MTA
        # log in this run, none before) writes them at once
        self.hold_php = hold_php
        # the host of PHP's file-form entries is this machine's name, not read from the
        # line nor given (`--host`): such entries may join to the one MTA host of their time
        self.php_host_assumed = php_host_assumed
        # the bulk of the open state: `Keyed` so that a commit saves only what changed
        self.messages = Keyed()
        self.closing = deque()
        self.now = 0
        self.next_due = 0
        self._since_sweep = 0
        self._local: dict[str | None, bool] = {}  # client ip -> is local
        self._init_sessions()
        self._init_hop()
        self._init_cwds()
        self._init_php()
        self._init_filters()
        if state:
            self._load(state)
        self.handlers = {
            "connect": self._connect,
            "disconnect": self._disconnect,
            "client": self._client,
            "pickup": self._pickup,
            "script_header": self._script_header,
            "message_id": self._message_id,
            "queued": self._queued,
            "delivery": self._delivery,
            "removed": self._removed,
            "expired": self._expired,
            "reject": self._reject,
            "auth_failed": self._auth_failed,
            "arrival": self._arrival,
            "authenticated": self._authenticated,
            "cwd": self._cwd,
            "bounce_notice": self._bounce_notice,
            # rows of their own, about a queue id or a client (no state: written as read)
            "notice": lambda e: self.sink("notices", e),
            "client_rate": lambda e: self.sink("client_rates", e),
        }

    # --- entry point ------------------------------------------------------------------
    def feed(self, event: dict) -> None:
        kind = event["event"]
        handler = self.handlers.get(kind)
        if handler is None:
            if kind == "php_mail":
                self._catch_up()  # due work first, as for any other event
                self._php_mail(event)
            return
        ts = event["ts"]
        if ts > self.now:
            self.now = ts
        closing = self.closing
        while closing and closing[0][0] + GRACE_US < self.now:
            self._finish(closing.popleft()[1], removed=True)
        if self.now >= self.next_due:
            self._due()
        handler(event)
        self._since_sweep += 1
        if self._since_sweep >= SWEEP_EVERY:
            self._since_sweep = 0
            self.sweep_stale()

    def _catch_up(self) -> None:
        closing = self.closing
        while closing and closing[0][0] + GRACE_US < self.now:
            self._finish(closing.popleft()[1], removed=True)
        if self.now >= self.next_due:
            self._due()

    def settle(self) -> None:
        """Do the work whose log time has come (at a commit): what the next event would do
        first, so it changes nothing but when the rows are written."""
        self._catch_up()

    def _schedule(self, due: int) -> None:
        if due < self.next_due:
            self.next_due = due

    def _due(self) -> None:
        """The rarer timed work (joins, PHP entries, held rejects, hand-overs) whose log
        time has come, then when the next is due. (Removed messages are finished by
        `feed` itself: they are many.)"""
        now = self.now
        self._due_php(now)
        self._due_held(now)
        self._due_handoffs(now)
        self.next_due = self._next_handoff(self._next_held(self._next_php(STALE_US + now)))

    def _local_ip(self, ip: str | None) -> bool:
        local = self._local.get(ip)
        if local is None:
            local = self._local[ip] = is_local_ip(ip, self.local_ips)
        return local

    # --- end of input and carried state -------------------------------------------------
    def sweep_stale(self) -> None:
        cutoff = self.now - STALE_US
        for key in [k for k, m in self.messages.items() if m["last_seen"] < cutoff]:
            self._finish(key, removed=False)
        self._sweep_sessions()
        self._sweep_cwds()
        self._sweep_filters()

    def state(self) -> dict:
        """Everything still open: top-level key -> JSON-able data, in the parts and the
        order `checkpoint.PARTS` declares, each concern giving its own (checked by
        `checkpoint.assemble`). Messages and sessions are the live `Keyed` dicts (their
        values are the entries; `openstate` saves the ones that changed)."""
        return checkpoint.assemble(
            {
                checkpoint.CORE: {
                    "now": self.now,
                    "messages": self.messages,
                    "closing": [[ts, list(key)] for ts, key in self.closing],
                },
                Sessions.OWNER: self._sessions_state(),
                SendmailHop.OWNER: self._hop_state(),
                EximCwd.OWNER: self._cwds_state(),
                PhpJoin.OWNER: self._php_state(),
                FilterHops.OWNER: self._filters_state(),
            }
        )

    def _load(self, saved: dict) -> None:
        """Take back a saved open state, of any checkpoint version (`checkpoint.open_parts`
        makes it current: every part there, per-entry parts as `Keyed` dicts)."""
        state = checkpoint.open_parts(saved)
        self.now = state["now"]
        self.messages = state["messages"]
        self.closing = deque((ts, (host, qid)) for ts, (host, qid) in state["closing"])
        self._load_sessions(state)
        self._load_hop(state)
        self._load_cwds(state)
        self._load_php(state)
        self._load_filters(state)  # after the messages: it indexes them
        self.next_due = 0  # recomputed at the first event
