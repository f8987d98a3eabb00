"""Content filters: a filter (amavis on 127.0.0.1:10024 -> 10025, an Exim spam-scanner
router) hands the message back as a new queue id. The re-injected message is charged to
the original's identity and origin and marked `filter_of`; the hand-over is a delivery
with status `filtered`, not a real one.

State (`checkpoint.owned_by(FILTERS)`): `filter_links` (re-injected queue ids named before their message's first line,
with what to charge them); `by_mid` (the newest open message per host and Message-ID) is
rebuilt from the open messages when a checkpoint is loaded."""

from __future__ import annotations

import re

from ..dataset.checkpoint import FILTERS
from .common import Concern

# A content filter re-injects the message within seconds (amavis: its scan time); a link
# to a re-injected queue id not seen within this much log time is dropped.
FILTER_US = 10 * 60 * 1_000_000

# the queue id a filter's (or another local MTA instance's) reply names: Postfix `queued as
# 5776E3012027` (amavis wraps it: `250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0
# Ok: queued as ...`), Exim `250 OK id=1rAbCd-000abc-Q1`
_REINJECTED = re.compile(
    r"queued as ([0-9A-Za-z]{5,20})\b|\bid=([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})\b"
)
_RELAY_IP = re.compile(r"\[([^\]\s]+)\]")
# what a re-injected message takes over from the original: who sent it and how (and, for
# a bounce notice the filter scanned, whose bounced message it reports on)
_CHARGED = (
    "origin",
    "sasl_method",
    "sasl_username",
    "uid",
    "user",
    "script",
    "script_path",
    "script_rank",
    "client_name",
    "client_ip",
    "bounce_of",
    "bounce_identity",
)
# Exim `-oMr spam-scanned` (and the like): the protocol a scanner's re-injection is received with
_SCANNED_PROTO = re.compile(r"scanned|spam|virus|filter", re.I)
_EXIM_OWN_MID = re.compile(r"E([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})@")


def _charge_of(parent: dict) -> dict:
    """What a message re-injected by a content filter takes over from `parent`."""
    charge = {name: parent.get(name) for name in _CHARGED}
    charge["filter_of"] = parent["queue_id"]
    return charge


def _charge(child: dict, charge: dict) -> None:
    child.update(charge)


class FilterHops(Concern):
    """Mixin of `Correlator`: the hop to a content filter and the message it re-injects."""

    OWNER = FILTERS
    by_mid: dict[tuple[str, str], str]
    filter_links: dict[tuple[str, str], list]  # key -> [ts, charge]

    def _init_filters(self) -> None:
        self.by_mid = {}
        self.filter_links = {}

    def _index_mid(self, msg: dict) -> None:
        self.by_mid[(msg["host"], msg["message_id"])] = msg["queue_id"]

    def _unindex_mid(self, msg: dict) -> None:
        """A message is written: it is no longer the open one of its Message-ID."""
        mid_key = (msg["host"], msg["message_id"])
        if self.by_mid.get(mid_key) == msg["queue_id"]:
            del self.by_mid[mid_key]

    def _filter_hop(self, msg: dict, e: dict) -> bool:
        """Is this `sent` delivery the hand-over to a content filter that re-injected the
        message here? Yes when the reply names the new queue id (`queued as ID`, Exim
        `id=ID`) and the relay is loopback / this server's (`--local-ip`) or the client of
        that new message; or, for amavis on loopback whose reply (`... from MTA(...): 250
        Ok`) names none, when a message with the same Message-ID arrived from loopback in
        the minutes before. (A loopback LMTP delivery to Dovecot is a delivery, even when
        a Sieve redirect re-sends the message over SMTP on localhost.)
        Exim's scanner router pipes to `exim -bS`: a delivery without a remote host of a
        message already re-injected (see `_scanner_reinjection`)."""
        if e["family"] == "sendmail":
            return False  # milters filter in-line; the MSP -> MTA hop is `_hop`
        host = msg["host"]
        bracketed = _RELAY_IP.search(e.get("relay") or "")
        relay_ip = bracketed[1] if bracketed else None
        own = relay_ip is not None and self._local_ip(relay_ip)
        named = _REINJECTED.search(e.get("response") or "")
        if named is not None:
            child_id = named[1] or named[2]
            if child_id == msg["queue_id"]:
                return False
            child = self.messages.get((host, child_id))
            if not own and (child is None or child["client_ip"] != relay_ip):
                return False  # a remote server's queue id
        elif own and "from MTA(" in (e.get("response") or ""):
            child_id = self.by_mid.get((host, msg["message_id"])) if msg["message_id"] else None
            child = self.messages.get((host, child_id)) if child_id else None
            if (
                child is None
                or child is msg
                or child["first_seen"] < msg["first_seen"]
                or not 0 <= e["ts"] - child["first_seen"] <= FILTER_US
                or child.get("filter_of") not in (None, msg["queue_id"])
                or not self._local_ip(child["client_ip"])
            ):
                return False
        else:
            return bool(msg.get("filtered_as")) and e["family"] == "exim" and relay_ip is None
        self._link_filter(msg, child_id, e["ts"])
        return True

    def _scanner_arrival(self, msg: dict, e: dict) -> None:
        """An Exim arrival received by a scanner's protocol (`P=spam-scanned`)?"""
        if (
            e["family"] == "exim"
            and e.get("message_id")
            and _SCANNED_PROTO.search(e.get("proto") or "")
        ):
            self._scanner_reinjection(msg)

    def _scanner_reinjection(self, msg: dict) -> None:
        """An Exim arrival received as `P=spam-scanned` (a scanner router's transport ran
        `exim -oMr spam-scanned -bS`): the open message with the same Message-ID (or the
        one Exim named it after, `E<message id>@host`), begun shortly before on this host,
        is the one it re-injects."""
        parent_id = self.by_mid.get((msg["host"], msg["message_id"]))
        if parent_id is None:  # Exim's own Message-ID of a header-less original: E<id>@host
            own = _EXIM_OWN_MID.match(msg["message_id"])
            parent_id = own[1] if own else None
        parent = self.messages.get((msg["host"], parent_id)) if parent_id else None
        if (
            parent is not None
            and parent is not msg
            and not msg.get("filter_of")
            and 0 <= msg["first_seen"] - parent["first_seen"] <= FILTER_US
        ):
            self._link_filter(parent, msg["queue_id"], msg["first_seen"])

    def _link_filter(self, parent: dict, child_id: str, ts: int) -> None:
        children = parent.setdefault("filtered_as", [])
        if child_id not in children:
            children.append(child_id)
        key = (parent["host"], child_id)
        child = self.messages.get(key)
        charge = _charge_of(parent)
        if child is not None:
            _charge(child, charge)
        else:  # its first line comes later (or in the next file): wait for it
            self.filter_links[key] = [ts, charge]

    def _linked_first_line(self, msg: dict, key: tuple[str, str]) -> None:
        """A queue id's first line is not its start: a filter hop may have named it."""
        if self.filter_links and key in self.filter_links:
            _charge(msg, self.filter_links[key][1])

    def _claim_filter_link(self, msg: dict, orig_queue_id: str | None) -> None:
        """A message begins: a filter hop named it already, or its client line says which
        message it re-injects (`orig_queue_id=`, Postfix with XFORWARD)."""
        key = (msg["host"], msg["queue_id"])
        pending = self.filter_links.pop(key, None)
        if pending is not None:
            _charge(msg, pending[1])
        elif orig_queue_id:
            parent = self.messages.get((msg["host"], orig_queue_id))
            if parent is not None and parent is not msg:
                self._link_filter(parent, msg["queue_id"], msg["first_seen"])

    def _charge_children(self, parent: dict) -> None:
        """The original learnt more (its PHP script): so do the re-injected messages."""
        charge = _charge_of(parent)
        for child_id in parent.get("filtered_as", ()):
            child = self.messages.get((parent["host"], child_id))
            if child is not None:
                _charge(child, charge)

    def _sweep_filters(self) -> None:
        for key in [k for k, v in self.filter_links.items() if v[0] < self.now - FILTER_US]:
            del self.filter_links[key]

    def _filters_state(self) -> dict:
        return {"filter_links": [[*k, *v] for k, v in self.filter_links.items()]}

    def _load_filters(self, state: dict) -> None:
        """After the messages: the open ones are indexed by Message-ID, oldest first."""
        self.filter_links = {(h, q): [ts, charge] for h, q, ts, charge in state["filter_links"]}
        for m in sorted(self.messages.values(), key=lambda m: m["first_seen"]):
            if m.get("message_id"):
                self._index_mid(m)
