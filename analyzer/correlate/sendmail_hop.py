"""Sendmail's two-hop local submission: the MSP (queue id A) hands the message to the MTA
(queue id B) over SMTP on localhost; A and B become ONE message, B, charged to the
submitting uid.

State (`checkpoint.owned_by(SENDMAIL_HOP)`): `handoffs` (MSP messages handed to an MTA
queue id not seen yet)."""

from __future__ import annotations

import re
from collections import deque

from ..dataset.carried import message_row
from ..dataset.checkpoint import SENDMAIL_HOP
from .common import _DELIVERY_COUNTERS, GRACE_US, JOIN_DELAY_US, Concern, _add_rcpts

_HANDOFF = re.compile(r"(?:\()?([0-9A-Za-z]{12,18}) Message accepted for delivery")


def _loopback_relay(relay: str | None) -> bool:
    if not relay:
        return False
    return "127.0.0.1" in relay or "[::1]" in relay or "localhost" in relay


class SendmailHop(Concern):
    """Mixin of `Correlator`: the MSP -> MTA hop of a Sendmail local submission."""

    OWNER = SENDMAIL_HOP
    handoffs: dict[tuple[str, str], dict]
    handoff_order: deque[tuple[int, str, str]]

    def _init_hop(self) -> None:
        self.handoffs = {}
        self.handoff_order = deque()

    def _hop(self, msp: dict, e: dict) -> None:
        """A Sendmail MSP delivery to the MTA on localhost. `stat=Sent (B Message accepted
        for delivery)` names the MTA's queue id B: message B (logged by the MTA as an SMTP
        message from localhost) takes over the submitter's identity and the MSP message A
        is not written (one message, charged to the uid; top senders count it once)."""
        if e.get("uid") is not None and msp["uid"] is None:
            msp["uid"] = e["uid"]
            if self.passwd:
                self.passwd.resolve(msp)
        recipients = e.get("recipients") or (e.get("recipient"),)
        _add_rcpts(msp, [r for r in recipients if r])
        m = _HANDOFF.search(e.get("response") or "") if e["status"] == "sent" else None
        if m is None:  # deferred, or accepted by something that does not name a queue id
            counter = _DELIVERY_COUNTERS.get(e["status"])
            if counter:
                msp[counter] += len(recipients)
            self._final(msp, e)
            return
        msp["sent"] += len(recipients)
        key = (msp["host"], msp["queue_id"])
        self.messages.pop(key, None)
        target = (msp["host"], m[1])
        mta = self.messages.get(target)
        if mta is not None:
            self._merge(msp, mta)
        else:  # the MTA's from= line comes later (or in another file): wait for it
            self.handoffs[target] = msp
            self.handoff_order.append((e["ts"], *target))
            self._schedule(e["ts"] + GRACE_US + 1)

    def _claim_handoff(self, mta: dict, key: tuple[str, str]) -> None:
        """The MTA's message `key` arrives: its MSP hop may have been logged first."""
        pending = self.handoffs.pop(key, None)
        if pending is not None:
            self._merge(pending, mta)

    def _merge(self, msp: dict, mta: dict) -> None:
        mta["origin"] = "local"
        mta["submission_queue_id"] = msp["queue_id"]
        mta["program"] = msp["program"]
        for name in ("uid", "user", "script", "script_path", "script_rank", "subject"):
            if msp.get(name) is not None:
                mta[name] = msp[name]
        if msp.get("rcpts"):
            _add_rcpts(mta, msp["rcpts"])
        if mta["sent"] + mta["deferred"] + mta["bounced"] == 0:
            # no delivery row names the MTA's first_seen yet: the message began at the MSP
            mta["first_seen"] = min(mta["first_seen"], msp["first_seen"])
        mta["client_name"] = mta["client_ip"] = None  # localhost was only the hop
        mta["sasl_username"] = mta["sasl_method"] = None  # so was an MSP's own AUTH to it
        if msp.get("join_due"):
            mta["join_due"] = True
            due = msp["first_seen"] + JOIN_DELAY_US
            self.joins.append((due, mta["host"], mta["queue_id"]))
            self._schedule(due)

    def _due_handoffs(self, now: int) -> None:
        handoffs = self.handoff_order
        while handoffs and handoffs[0][0] + GRACE_US < now:
            _, host, qid = handoffs.popleft()
            msp = self.handoffs.pop((host, qid), None)
            if msp is not None:  # the MTA's lines never came: the MSP message stands alone
                self.sink("messages", message_row(msp, complete=True))

    def _next_handoff(self, due: int) -> int:
        if self.handoff_order:
            due = min(due, self.handoff_order[0][0] + GRACE_US + 1)
        return due

    def _hop_state(self) -> dict:
        return {
            "handoffs": [
                [ts, host, qid, self.handoffs[(host, qid)]]
                for ts, host, qid in self.handoff_order
                if (host, qid) in self.handoffs
            ]
        }

    def _load_hop(self, state: dict) -> None:
        for ts, host, qid, msp in state["handoffs"]:
            self.handoffs[(host, qid)] = msp
            self.handoff_order.append((ts, host, qid))
