"""A message from its first line to its row: the lines that start it (Postfix `client=`,
`pickup`, an Exim or Sendmail arrival) and those that add to it, its deliveries, its
removal (then the grace for late lines), its row.

State: `messages` (a `Keyed` dict: open messages), `closing` (removed ones waiting for
late lines); both are the core's parts (`checkpoint.owned_by(CORE)`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..dataset.carried import message_row
from ..identity import identity_of
from .common import (
    _DELIVERY_COUNTERS,
    _HEADER,
    _MAX_RCPTS,
    Concern,
    _add_rcpts,
    _authenticated_proto,
)
from .sendmail_hop import _loopback_relay

_ARRIVAL_FIELDS = (
    "client_name",
    "client_ip",
    "sasl_method",
    "sasl_username",
    "size",
    "nrcpt",
    "message_id",
    "subject",
    "user",
    "uid",
)


class Messages(Concern):
    """Mixin of `Correlator`: the lifecycle of a message. What it reaches of the other
    concerns (sessions, the Sendmail hop, `cwd=` lines, PHP joins, filter hops) is
    declared here for the type checker and defined by them."""

    if TYPE_CHECKING:  # the other concerns' methods this one calls

        def _saw_mta_host(self, host: str, ts: int) -> None: ...

        def _linked_first_line(self, msg: dict, key: tuple[str, str]) -> None: ...

        def _claim_filter_link(self, msg: dict, orig_queue_id: str | None) -> None: ...

        def _session_message(self, e: dict) -> None: ...

        def _local_submission(self, msg: dict) -> None: ...

        def _session_login(self, e: dict) -> None: ...

        def _release(self, key: tuple[str, str], arrival: dict | None) -> None: ...

        def _claim_handoff(self, mta: dict, key: tuple[str, str]) -> None: ...

        def _scanner_arrival(self, msg: dict, e: dict) -> None: ...

        def _index_mid(self, msg: dict) -> None: ...

        def _unindex_mid(self, msg: dict) -> None: ...

        def _claim_cwd(self, msg: dict, pid: int | None) -> None: ...

        def _filter_hop(self, msg: dict, e: dict) -> bool: ...

        def _hop(self, msp: dict, e: dict) -> None: ...

    # the other concerns' state this one looks at
    logins: dict[tuple, dict]  # sessions.py
    held: dict[tuple[str, str], list[dict]]  # sessions.py
    handoffs: dict[tuple[str, str], dict]  # sendmail_hop.py

    # --- the start of a message ---------------------------------------------------------------------
    def _new_message(self, e: dict, origin: str) -> dict:
        self._saw_mta_host(e["host"], e["ts"])
        return {
            "host": e["host"],
            "queue_id": e["queue_id"],
            "first_seen": e["ts"],
            "last_seen": e["ts"],
            "origin": origin,
            "program": None,
            "sasl_method": None,
            "sasl_username": None,
            "uid": None,
            "user": None,
            "script": None,
            "script_path": None,
            "client_name": None,
            "client_ip": None,
            "sender": None,
            "size": None,
            "nrcpt": None,
            "message_id": None,
            "subject": None,
            "submission_queue_id": None,
            "filter_of": None,
            "sent": 0,
            "deferred": 0,
            "bounced": 0,
            "expired": False,
            "rejected": False,
            "removed_at": None,
        }

    def _message(self, e: dict) -> dict:
        """The open message of this queue id, created on first sight."""
        key = (e["host"], e["queue_id"])
        msg = self.messages.get(key)
        if msg is None:
            msg = self.messages[key] = self._new_message(e, "unknown")
            if self.filter_links:
                self._linked_first_line(msg, key)
        elif e["ts"] > msg["last_seen"]:
            msg["last_seen"] = e["ts"]
        return msg

    def _origin_message(self, e: dict, origin: str) -> dict:
        """A message-starting line (client=, pickup, arrival): a queue id that already
        had its start is being reused, so the earlier lifecycle ends here."""
        key = (e["host"], e["queue_id"])
        msg = self.messages.get(key)
        # (an origin without a program was charged by a content-filter link, not a start)
        if msg is not None and (
            (msg["origin"] != "unknown" and msg["program"] is not None)
            or msg["removed_at"] is not None
        ):
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
        if e.get("orig_queue_id") or self.filter_links:
            self._claim_filter_link(msg, e.get("orig_queue_id"))
        self._session_message(e)

    def _pickup(self, e: dict) -> None:
        msg = self._origin_message(e, "local")
        msg["uid"] = e["uid"]
        if msg["sender"] is None:
            msg["sender"] = e["sender"]
        if self.passwd:
            self.passwd.resolve(msg)
        self._local_submission(msg)

    def _arrival(self, e: dict) -> None:
        """A message arrives with everything its line says: Exim `<=`, Sendmail `from=`
        (and a Sendmail DSN, which creates a bounce)."""
        key = (e["host"], e["queue_id"])
        get = e.get
        sendmail = e["family"] == "sendmail"
        if sendmail:
            if self.logins and get("client_ip") and not get("sasl_username"):
                self._session_login(e)
            if get("nrcpt") == 0:
                self._release(key, e)  # every recipient was refused: no message, only rejects
                return
        origin = get("origin") or _origin_of(e)
        if sendmail and origin == "smtp" and _authenticated_proto(get("proto")):
            origin = "sasl"  # ESMTPA without its AUTH line in view: SASL, login unknown
        msg = self._origin_message(e, origin)
        names = _ARRIVAL_FIELDS if origin == "local" else _ARRIVAL_FIELDS[:-2]
        for name in names:  # a login is an identity only for a local submission
            value = get(name)
            if value is not None:
                msg[name] = value
        if get("sender") is not None:
            msg["sender"] = e["sender"]
        recipients = e.get("recipients")
        if recipients and origin == "local":
            msg["rcpts"] = [r.lower() for r in recipients[:_MAX_RCPTS]]
        if self.passwd:
            self.passwd.resolve(msg)
        if self.handoffs:
            self._claim_handoff(msg, key)  # its MSP hop was logged first
        if self.filter_links:
            self._claim_filter_link(msg, None)
        self._scanner_arrival(msg, e)
        if get("message_id"):
            self._index_mid(msg)
        if origin == "local" and not msg.get("filter_of"):
            self._local_submission(msg)
            if e["family"] == "exim":
                self._claim_cwd(msg, e.get("pid"))
        if e.get("bounce_of") and (e.get("reason") or "").startswith("Cannot send message"):
            original = self.messages.get((e["host"], e["bounce_of"]))
            if original is not None:  # Sendmail gave up on it: the DSN reports the expiry
                original["expired"] = True
                self._removed({"host": e["host"], "queue_id": e["bounce_of"], "ts": e["ts"]})
        if self.held and key in self.held:
            self._release(key, e)

    def _script_header(self, e: dict) -> None:
        msg = self._message(e)
        if msg["uid"] is None:
            msg["uid"] = e["uid"]
            if self.passwd:
                self.passwd.resolve(msg)
        if msg["script"] is None:
            msg["script"] = e["script"]
            msg["script_rank"] = _HEADER
        if e.get("recipient"):
            _add_rcpts(msg, (e["recipient"],))

    def _bounce_notice(self, e: dict) -> None:
        """Postfix's bounce daemon made notice `new_queue_id` about message `queue_id`: the
        notice (backscatter when it leaves) is charged to whoever sent that message."""
        original = self.messages.get((e["host"], e["queue_id"]))
        notice = self._message({"host": e["host"], "queue_id": e["new_queue_id"], "ts": e["ts"]})
        notice["bounce_of"] = e["queue_id"]
        if original is not None:
            notice["bounce_identity"] = identity_of(original)

    def _message_id(self, e: dict) -> None:
        msg = self._message(e)
        msg["message_id"] = e["message_id"]
        if e["message_id"]:
            self._index_mid(msg)

    def _queued(self, e: dict) -> None:
        msg = self._message(e)
        msg["sender"] = e["sender"]  # qmgr's from= is the envelope sender (pickup's can be a login)
        msg["size"] = e["size"]
        msg["nrcpt"] = e["nrcpt"]

    # --- deliveries and the end of a message ------------------------------------------------
    def _delivery(self, e: dict) -> None:
        msg = self._message(e)
        family = e["family"]
        if e["status"] == "sent" and self._filter_hop(msg, e):
            e["status"] = "filtered"  # handed to a content filter: not a delivery, no counter
        local = msg["origin"] == "local"
        if family != "postfix":
            if family == "sendmail" and local:
                if _loopback_relay(e.get("relay")):
                    self._hop(msg, e)  # the MSP hands the message to the MTA: not a delivery
                    return
                if e.get("uid") is not None and msg["uid"] is None:
                    msg["uid"] = e["uid"]  # `ctladdr=user (uid/gid)` of a local submission
                    if self.passwd:
                        self.passwd.resolve(msg)
            agent = e.get("agent")
            if agent:
                e["program"] = f"{e['program']}/{agent}"
        recipients = e.get("recipients")
        counter = _DELIVERY_COUNTERS.get(e["status"])
        if counter:
            msg[counter] += len(recipients) if recipients else 1
        if local:
            _add_rcpts(msg, recipients or (e["recipient"],))
            if e.get("orig_recipient"):
                _add_rcpts(msg, (e["orig_recipient"],))
        # the event already holds the row's fields (see events.derive); add the message's
        e["message_first_seen"] = msg["first_seen"]
        e["identity"] = identity_of(msg)
        if not recipients:
            self.sink("deliveries", e)
        else:  # Sendmail names several recipients in one line: one row each
            for recipient in recipients:
                row = dict(e, recipient=recipient)
                at = recipient.rfind("@")
                row["recipient_domain"] = recipient[at + 1 :].lower() if at >= 0 else None
                self.sink("deliveries", row)
        if family == "sendmail":
            self._final(msg, e)

    def _final(self, msg: dict, e: dict) -> None:
        """Sendmail logs no `removed`: a message is done when every recipient is final."""
        if (
            msg["nrcpt"]
            and msg["removed_at"] is None
            and msg["sent"] + msg["bounced"] >= msg["nrcpt"]
        ):
            self._removed(e)

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
            if msg.get("join_due"):
                self._join(msg)
            if msg["message_id"]:
                self._unindex_mid(msg)
            self.sink("messages", message_row(msg, complete=removed))


def _origin_of(e: dict) -> str:
    if e.get("sasl_username"):
        return "sasl"
    proto = (e.get("proto") or "").lower()
    local = proto.startswith("local") or (e.get("user") and not e.get("client_ip"))
    if e.get("sender") == "" and (e.get("bounce_of") or local):
        return "bounce"  # MTA-generated (Exim `<= <> R=<id>`, a bounce it made itself)
    if local:
        return "local"
    if e.get("client_ip"):
        return "smtp"
    return "unknown"
