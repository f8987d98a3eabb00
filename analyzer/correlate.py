"""Events -> rows of `messages`, `deliveries`, `rejects`, `auth_failures`, `connections`,
`php_mail`.

Per host, a queue id (Postfix, Sendmail) or message id (Exim) ties a message's lines
together, and a program + pid ties an SMTP session's lines together. One set of handlers
serves every MTA: an `arrival` (Exim `<=`, Sendmail `from=`) starts a message with all it
says at once, Exim's `Completed` is a `removed`, a Sendmail message is complete when each
of its `nrcpts` recipients has a final status. Beyond that:

- Sendmail's two-hop local submission (MSP queue id A hands the message to the MTA, queue
  id B, over SMTP on localhost) becomes ONE message, B, charged to the submitting uid:
  see `_handoff`.
- Exim's `cwd=` lines give the directory of the submitting process: see `_cwd`.
- PHP `mail.log` entries are joined to the local submission they produced: see `_join`.
- Sendmail rejects name no sender (and `User unknown` lines no client): they are held
  until the session's `from=` line names them (or `HOLD_US` of log time passes).
- A content filter (amavis on 127.0.0.1:10024 -> 10025, an Exim spam-scanner router)
  hands the message back as a new queue id: the re-injected message is charged to the
  original's identity and origin and marked `filter_of`; the hand-over is a delivery with
  status `filtered`, not a real one: see `_filter_hop`.

Everything still open when the input ends (a deferred message, a session without its
disconnect, PHP entries not yet matched) is kept in `Correlator.state()` so the next run,
which starts from that state, produces exactly what one uninterrupted run would have.
All decisions use log time, never the wall clock, for the same reason; PHP entries do not
move the correlator's clock (a PHP log read before the MTA log must not age MTA state).
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_left, bisect_right
from collections import deque
from typing import Callable

from .openstate import Keyed

_S = 1_000_000
# A `removed` message waits this long (log time) for lines logged slightly out of order.
GRACE_US = 30 * _S
# A message or session silent for this long is written out as it is (Postfix gives up on
# a message after 5 days by default; a lost `removed` or `disconnect` line must not pin it).
STALE_US = 7 * 86_400 * _S
SWEEP_EVERY = 200_000  # events between sweeps for stale state
# PHP mail() logs its line, then runs sendmail: the submission follows the entry by up to
# JOIN_AFTER (a busy pickup), or precedes it by JOIN_BEFORE (second-granular clocks).
JOIN_AFTER_US = 10 * _S
JOIN_BEFORE_US = 2 * _S
# A local message looks for its PHP entry this long after it started, so that the lines
# naming its recipients (header warning, deliveries) are in.
JOIN_DELAY_US = 15 * _S
# An entry no submission can claim any more is written unjoined.
PHP_FINAL_US = JOIN_AFTER_US + JOIN_DELAY_US + 5 * _S
# An MTA host's log covers its first to last message, give or take this much (quiet hours
# at either end): PHP entries that name no host join to the one host whose log covers them.
HOST_SLACK_US = 3600 * _S
# Sendmail rejects wait this long for the session's `from=` line.
HOLD_US = 10 * 60 * _S
# A Sendmail SMTP session silent this long has ended (Sendmail's default Timeout.command
# is 1 h), so its `AUTH=server` login no longer applies to the process's messages.
SESSION_US = 3600 * _S
# An Exim `cwd=` line without a message id belongs to the next local arrival of the same
# process within this time.
CWD_US = 10 * _S
# A content filter re-injects the message within seconds (amavis: its scan time); a link
# to a re-injected queue id not seen within this much log time is dropped.
FILTER_US = 10 * 60 * _S

Sink = Callable[[str, dict], None]

_DELIVERY_COUNTERS = {"sent": "sent", "deferred": "deferred", "bounced": "bounced"}
_HANDOFF = re.compile(r"(?:\()?([0-9A-Za-z]{12,18}) Message accepted for delivery")
_SPOOL = re.compile(r"^/var/spool/exim[^/]*/?$|^/$")
# script sources, weakest first: the Postfix X-PHP header (basename), an Exim `cwd=` line
# matched by process, one naming the message id, PHP's mail.log (full path)
_HEADER, _CWD_NEAR, _CWD_ID, _PHP = 1, 2, 3, 4
_MAX_RCPTS = 50
# the queue id a filter's (or another local MTA instance's) reply names: Postfix `queued as
# 5776E3012027` (amavis wraps it: `250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0
# Ok: queued as ...`), Exim `250 OK id=1rAbCd-000abc-Q1`
_REINJECTED = re.compile(r"queued as ([0-9A-Za-z]{5,20})\b|\bid=([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})\b")
_RELAY_IP = re.compile(r"\[([^\]\s]+)\]")
# what a re-injected message takes over from the original: who sent it and how (and, for
# a bounce notice the filter scanned, whose bounced message it reports on)
_CHARGED = ("origin", "sasl_method", "sasl_username", "uid", "user", "script", "script_path",
            "script_rank", "client_name", "client_ip", "bounce_of", "bounce_identity")
# Exim `-oMr spam-scanned` (and the like): the protocol a scanner's re-injection is received with
_SCANNED_PROTO = re.compile(r"scanned|spam|virus|filter", re.I)
_EXIM_OWN_MID = re.compile(r"E([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})@")


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


def _loopback_relay(relay: str | None) -> bool:
    return bool(relay) and ("127.0.0.1" in relay or "[::1]" in relay or "localhost" in relay)


class Passwd:
    """Accounts of a passwd file (`name:x:uid:gid:gecos:home:shell`): login <-> uid, and
    home directories for the scripts under them."""

    def __init__(self, entries: list[tuple[str, int, str]] = ()):
        self.uid_of: dict[str, int] = {}
        self.name_of: dict[int, str] = {}
        homes = []
        for name, uid, home in entries:
            self.uid_of.setdefault(name, uid)
            self.name_of.setdefault(uid, name)
            home = home.rstrip("/")
            if home.startswith("/") and home.count("/") >= 1 and home not in ("", "/nonexistent"):
                homes.append((home + "/", uid, name))
        self.homes = sorted(homes, key=lambda h: -len(h[0]))

    @classmethod
    def read(cls, path: str) -> "Passwd":
        entries = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split(":")
                if len(parts) >= 7 and parts[2].isdigit() and not line.startswith("#"):
                    entries.append((parts[0], int(parts[2]), parts[5]))
        return cls(entries)

    def resolve(self, row: dict) -> None:
        """Fill `uid` from `user` and `user` from `uid` where the other is known."""
        if row.get("uid") is None:
            if row.get("user") and row["user"] in self.uid_of:
                row["uid"] = self.uid_of[row["user"]]
        elif not row.get("user"):
            name = self.name_of.get(row["uid"])
            if name:
                row["user"] = name

    def owner_of(self, path: str | None) -> tuple[int, str] | None:
        if path:
            for home, uid, name in self.homes:
                if path.startswith(home):
                    return uid, name
        return None

    def __bool__(self) -> bool:
        return bool(self.uid_of)


class Correlator:
    def __init__(self, sink: Sink, local_ips: frozenset[str] = frozenset(),
                 state: dict | None = None, passwd: Passwd | None = None,
                 hold_php: bool = True, php_host_assumed: bool = False):
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
        self.messages: dict[tuple[str, str], dict] = Keyed()
        self.sessions: dict[tuple[str, str, int | None], dict] = Keyed()
        self.closing: deque[tuple[int, tuple[str, str]]] = deque()  # (removed ts, key)
        self.now = 0
        self.next_due = 0
        self._since_sweep = 0
        self._local: dict[str | None, bool] = {}  # client ip -> is local
        # Sendmail: SMTP AUTH of a session, individual AUTH failures seen per session
        self.logins: dict[tuple, dict] = {}
        self.auth_seen: dict[tuple, int] = {}
        # Sendmail: rejects waiting for their session's from= line
        self.held: dict[tuple[str, str], list[dict]] = {}
        self.held_order: deque[tuple[int, str, str]] = deque()
        # Sendmail: MSP messages handed to an MTA queue id not seen yet
        self.handoffs: dict[tuple[str, str], dict] = {}
        self.handoff_order: deque[tuple[int, str, str]] = deque()
        # Exim: `cwd=` lines without a message id, per (host, pid)
        self.cwds: dict[tuple[str, int | None], deque] = {}
        # PHP mail.log entries, ordered by time; joins due per local message
        self.php: list[dict] = []
        self.php_ts: list[int] = []
        self.php_head = 0
        self.php_seen = False
        self.joins: deque[tuple[int, str, str]] = deque()
        # content filters: the newest open message per (host, Message-ID), and re-injected
        # queue ids named before their message's first line, with what to charge them
        self.by_mid: dict[tuple[str, str], str] = {}
        self.filter_links: dict[tuple[str, str], list] = {}  # key -> [ts, charge]
        # MTA hosts: time span of their messages (all runs), and of this run's sources
        self.mta_hosts: dict[str, list[int]] = {}
        self.expected_hosts: dict[str, list[int]] = {}
        # PHP entries written joined / unjoined (by reason): the dataset's, and this run's
        self.php_joins = _php_counts()
        self.run_php_joins = _php_counts()
        if state:
            self._load(state)
        self.handlers = {
            "connect": self._connect, "disconnect": self._disconnect, "client": self._client,
            "pickup": self._pickup, "script_header": self._script_header,
            "message_id": self._message_id, "queued": self._queued,
            "delivery": self._delivery, "removed": self._removed, "expired": self._expired,
            "reject": self._reject, "auth_failed": self._auth_failed,
            "arrival": self._arrival, "authenticated": self._authenticated, "cwd": self._cwd,
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
        joins = self.joins
        while joins and joins[0][0] <= now:
            _, host, qid = joins.popleft()
            msg = self.messages.get((host, qid))
            if msg is not None and msg.get("join_due"):
                self._join(msg)
        php = self.php
        while self.php_head < len(php) and php[self.php_head]["ts"] + PHP_FINAL_US <= now:
            entry = php[self.php_head]
            self.php_head += 1
            if not entry["claimed"]:
                self._write_php(entry, None)
        if self.php_head > 1024 and self.php_head * 2 > len(php):
            del php[:self.php_head], self.php_ts[:self.php_head]
            self.php_head = 0
        held = self.held_order
        while held and held[0][0] + HOLD_US < now:
            _, host, qid = held.popleft()
            self._release((host, qid), None)
        handoffs = self.handoff_order
        while handoffs and handoffs[0][0] + GRACE_US < now:
            _, host, qid = handoffs.popleft()
            msp = self.handoffs.pop((host, qid), None)
            if msp is not None:  # the MTA's lines never came: the MSP message stands alone
                self.sink("messages", message_row(msp, complete=True))
        due = STALE_US + now
        if joins:
            due = min(due, joins[0][0])
        if self.php_head < len(php):
            due = min(due, php[self.php_head]["ts"] + PHP_FINAL_US)
        if held:
            due = min(due, held[0][0] + HOLD_US + 1)
        if handoffs:
            due = min(due, handoffs[0][0] + GRACE_US + 1)
        self.next_due = due

    # --- messages ---------------------------------------------------------------------
    def _new_message(self, e: dict, origin: str) -> dict:
        span = self.mta_hosts.get(e["host"])
        if span is None:
            self.mta_hosts[e["host"]] = [e["ts"], e["ts"]]
        elif e["ts"] > span[1]:
            span[1] = e["ts"]
        elif e["ts"] < span[0]:
            span[0] = e["ts"]
        return {
            "host": e["host"], "queue_id": e["queue_id"], "first_seen": e["ts"],
            "last_seen": e["ts"], "origin": origin, "program": None, "sasl_method": None,
            "sasl_username": None, "uid": None, "user": None, "script": None,
            "script_path": None, "client_name": None, "client_ip": None, "sender": None,
            "size": None, "nrcpt": None, "message_id": None, "subject": None,
            "submission_queue_id": None, "filter_of": None, "sent": 0, "deferred": 0, "bounced": 0,
            "expired": False, "rejected": False, "removed_at": None,
        }

    def _message(self, e: dict) -> dict:
        """The open message of this queue id, created on first sight."""
        key = (e["host"], e["queue_id"])
        msg = self.messages.get(key)
        if msg is None:
            msg = self.messages[key] = self._new_message(e, "unknown")
            if self.filter_links and key in self.filter_links:
                _charge(msg, self.filter_links[key][1])  # its first line was not its start
        elif e["ts"] > msg["last_seen"]:
            msg["last_seen"] = e["ts"]
        return msg

    def _origin_message(self, e: dict, origin: str) -> dict:
        """A message-starting line (client=, pickup, arrival): a queue id that already
        had its start is being reused, so the earlier lifecycle ends here."""
        key = (e["host"], e["queue_id"])
        msg = self.messages.get(key)
        # (an origin without a program was charged by a content-filter link, not a start)
        if msg is not None and ((msg["origin"] != "unknown" and msg["program"] is not None)
                                or msg["removed_at"] is not None):
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
            pending = self.handoffs.pop(key, None)
            if pending is not None:  # its MSP hop was logged first
                self._merge(pending, msg)
        if self.filter_links:
            self._claim_filter_link(msg, None)
        if e["family"] == "exim" and get("message_id") and _SCANNED_PROTO.search(get("proto") or ""):
            self._scanner_reinjection(msg)
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

    def _local_submission(self, msg: dict) -> None:
        if self.php_seen and not msg.get("join_due"):
            msg["join_due"] = True
            self.joins.append((msg["first_seen"] + JOIN_DELAY_US, msg["host"], msg["queue_id"]))
            self._schedule(msg["first_seen"] + JOIN_DELAY_US)

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
                row["recipient_domain"] = recipient[at + 1:].lower() if at >= 0 else None
                self.sink("deliveries", row)
        if family == "sendmail":
            self._final(msg, e)

    def _final(self, msg: dict, e: dict) -> None:
        """Sendmail logs no `removed`: a message is done when every recipient is final."""
        if msg["nrcpt"] and msg["removed_at"] is None and msg["sent"] + msg["bounced"] >= msg["nrcpt"]:
            self._removed(e)

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
                mid_key = (msg["host"], msg["message_id"])
                if self.by_mid.get(mid_key) == msg["queue_id"]:
                    del self.by_mid[mid_key]
            self.sink("messages", message_row(msg, complete=removed))

    # --- content filters: the hop to the filter and the message it re-injects ------------
    def _index_mid(self, msg: dict) -> None:
        self.by_mid[(msg["host"], msg["message_id"])] = msg["queue_id"]

    def _local_ip(self, ip: str | None) -> bool:
        local = self._local.get(ip)
        if local is None:
            local = self._local[ip] = is_local_ip(ip, self.local_ips)
        return local

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
        relay_ip = _RELAY_IP.search(e.get("relay") or "")
        relay_ip = relay_ip[1] if relay_ip else None
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
            if (child is None or child is msg or child["first_seen"] < msg["first_seen"]
                    or not 0 <= e["ts"] - child["first_seen"] <= FILTER_US
                    or child.get("filter_of") not in (None, msg["queue_id"])
                    or not self._local_ip(child["client_ip"])):
                return False
        else:
            return bool(msg.get("filtered_as")) and e["family"] == "exim" and relay_ip is None
        self._link_filter(msg, child_id, e["ts"])
        return True

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
        if (parent is not None and parent is not msg and not msg.get("filter_of")
                and 0 <= msg["first_seen"] - parent["first_seen"] <= FILTER_US):
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

    # --- Exim: the working directory of a local submission -----------------------------
    def _cwd(self, e: dict) -> None:
        path = e["script_path"]
        if _SPOOL.match(path):
            return  # a queue runner's delivery process: not the submitter's directory
        if e.get("queue_id"):  # `-Mc <id>`: the delivery process the submitter started
            msg = self.messages.get((e["host"], e["queue_id"]))
            if msg is not None:
                _set_script(msg, path, _CWD_ID)
            return
        pending = self.cwds.setdefault((e["host"], e["pid"]), deque())
        pending.append((e["ts"], path))
        while len(pending) > 64:
            pending.popleft()

    def _claim_cwd(self, msg: dict, pid) -> None:
        pending = self.cwds.get((msg["host"], pid))
        ts = msg["first_seen"]
        while pending:
            seen, path = pending.popleft()
            if ts - seen <= CWD_US:
                _set_script(msg, path, _CWD_NEAR)
                break
        if pending is not None and not pending:
            del self.cwds[(msg["host"], pid)]

    # --- PHP mail.log -------------------------------------------------------------------
    def _php_mail(self, e: dict) -> None:
        # imported here: readers of carried state (api.table) must not compile the patterns
        from .patterns.phpmail import recipients_of

        self.php_seen = True
        entry = {"ts": e["ts"], "host": e["host"], "script_path": e["script_path"],
                 "script_line": e.get("script_line"), "recipient": e.get("recipient"),
                 "subject": e.get("subject"), "uid": None, "user": None,
                 "rcpts": recipients_of(e.get("recipient")), "claimed": False}
        if self.php_host_assumed and e.get("envelope") == "phpmail":
            entry["floating"] = True  # its host is a guess: see `_join`
        if self.now and e["ts"] + PHP_FINAL_US <= self.now:
            entry["late"] = True  # the MTA log of its time was correlated before it was read
        owner = self.passwd.owner_of(e["script_path"]) if self.passwd else None
        if owner is not None:
            entry["uid"], entry["user"] = owner
        if not self.hold_php:
            self._write_php(entry, None)
            return
        i = bisect_right(self.php_ts, e["ts"], self.php_head)
        self.php_ts.insert(i, e["ts"])
        self.php.insert(i, entry)
        if self.php_head == i:
            self._schedule(e["ts"] + PHP_FINAL_US)

    def _join(self, msg: dict) -> None:
        """Attach the PHP entry this local message came from: same host (an entry that
        names none, PHP's file form read without `--host`: the one MTA host whose log
        covers its time), logged from
        JOIN_AFTER before to JOIN_BEFORE after the submission, the same uid / login when
        both are known, a script of the same name (or under the `cwd=` directory) when
        the MTA named one, and a recipient in common when the message's recipients are
        known; the closest in time wins, and each entry is claimed once."""
        msg["join_due"] = False
        s = msg["first_seen"]
        php, stamps = self.php, self.php_ts
        lo = bisect_left(stamps, s - JOIN_AFTER_US, self.php_head)
        hi = bisect_right(stamps, s + JOIN_BEFORE_US, lo)
        best, best_key = None, None
        rcpts = set(msg.get("rcpts") or ())
        script, rank = msg.get("script"), msg.get("script_rank", 0)
        for i in range(lo, hi):
            entry = php[i]
            if entry["claimed"]:
                continue
            if entry["host"] != msg["host"] and not (
                    entry.get("floating") and self._hosts_at(entry["ts"]) == [msg["host"]]):
                continue
            if entry["uid"] is not None and msg["uid"] is not None and entry["uid"] != msg["uid"]:
                continue
            if entry["user"] and msg["user"] and entry["user"] != msg["user"]:
                continue
            path = entry["script_path"]
            if script:
                if rank == _HEADER and path.rsplit("/", 1)[-1] != script:
                    continue
                if rank in (_CWD_NEAR, _CWD_ID) and not path.startswith(script.rstrip("/") + "/"):
                    continue
            if rcpts and entry["rcpts"] and rcpts.isdisjoint(entry["rcpts"]):
                continue
            key = (abs(s - entry["ts"]), i)
            if best_key is None or key < best_key:
                best, best_key = entry, key
        if best is None:
            return
        best["claimed"] = True
        _set_script(msg, best["script_path"], _PHP)
        if best["uid"] is not None and msg["uid"] is None and msg["origin"] == "local":
            msg["uid"] = best["uid"]
            if self.passwd:
                self.passwd.resolve(msg)
        if msg.get("filtered_as"):
            self._charge_children(msg)
        self._write_php(best, msg)

    def _write_php(self, entry: dict, msg: dict | None) -> None:
        row = {k: entry[k] for k in ("ts", "host", "script_path", "script_line", "recipient",
                                     "subject", "uid", "user")}
        if msg is not None:
            row["host"] = msg["host"]
            row["queue_id"] = msg["queue_id"]
            row["message_first_seen"] = msg["first_seen"]
            row["identity"] = identity_of(msg)
            if row["uid"] is None:
                row["uid"] = msg["uid"]
            if not row["user"]:
                row["user"] = msg["user"]
            self._count_php(None, ())
        else:
            row["identity"] = identity_of(row)
            self._count_php(*self._unjoined_reason(entry))
        self.sink("php_mail", row)

    # --- PHP entries and MTA hosts: why an entry stayed unjoined ------------------------
    def php_waiting(self) -> int:
        """PHP entries still waiting for their submission (carried to the next run)."""
        return sum(1 for entry in self.php[self.php_head:] if not entry["claimed"])

    def expect_hosts(self, spans: dict[str, list[int]]) -> None:
        """The MTA hosts this run's sources name and the time they cover (first line to
        the file's mtime), known before their lines are read: files are read one after
        the other, and a second host's log must make a host-less PHP entry ambiguous
        before the first host's submissions are joined."""
        for host, (lo, hi) in spans.items():
            span = self.expected_hosts.setdefault(host, [lo, hi])
            span[0], span[1] = min(span[0], lo), max(span[1], hi)

    def _hosts_at(self, ts: int) -> list[str]:
        """The MTA hosts whose log covers `ts` (this run's and earlier runs')."""
        found = set()
        for spans in (self.mta_hosts, self.expected_hosts):
            for host, (lo, hi) in spans.items():
                if lo - HOST_SLACK_US <= ts <= hi + HOST_SLACK_US:
                    found.add(host)
        return sorted(found)

    def _unjoined_reason(self, entry: dict) -> tuple[str, list[str]]:
        if not self.hold_php:
            return "no_mta_log", []
        if entry.get("late"):
            return "read_late", []
        hosts = self._hosts_at(entry["ts"])
        if entry["host"] in hosts or (entry.get("floating") and len(hosts) == 1):
            return "no_submission", []
        if not hosts:
            return "no_mta_log", []
        if entry.get("floating"):
            return "ambiguous_host", hosts
        return "other_host", [entry["host"]]

    def _count_php(self, reason: str | None, hosts) -> None:
        for counts in (self.php_joins, self.run_php_joins):
            if reason is None:
                counts["joined"] += 1
                continue
            counts["unjoined"][reason] = counts["unjoined"].get(reason, 0) + 1
            if hosts:
                known = counts["hosts"].setdefault(reason, [])
                known.extend(h for h in hosts if h not in known and len(known) < 10)

    # --- rejects, auth, sessions --------------------------------------------------------
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
        ip = e.get("client_ip")
        local = self._local.get(ip)
        if local is None:
            local = self._local[ip] = is_local_ip(ip, self.local_ips)
        e["local_client"] = local
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

    # --- Sendmail: the login of an SMTP session ------------------------------------------
    # Sendmail logs `AUTH=server, relay=..., authid=...` before MAIL FROM, so without a
    # queue id (NOQID). An SMTP session is one process: the login applies to the messages
    # that process (host, program, pid) accepts from the same client until the session
    # ends (a new connection on the process, an unauthenticated message, SESSION_US of
    # silence) or another AUTH replaces it. Carried in the checkpoint (`logins`).
    def _authenticated(self, e: dict) -> None:
        self.logins[(e["host"], e["program"], e["pid"])] = {
            "ts": e["ts"], "last_seen": e["ts"], "client_ip": e.get("client_ip"),
            "sasl_method": e.get("sasl_method"), "sasl_username": e.get("sasl_username")}

    def _session_login(self, e: dict) -> None:
        """Give a Sendmail `from=` its session's login, or end a login that cannot be its
        session's: another client (the pid was reused), too long a silence, or a `proto=`
        without Sendmail's `A` (ESMTPA, ESMTPSA) of an authenticated session."""
        key = (e["host"], e["program"], e["pid"])
        login = self.logins.get(key)
        if login is None:
            return
        proto = e.get("proto")
        if (login["client_ip"] != e["client_ip"] or e["ts"] - login["last_seen"] > SESSION_US
                or (proto and not _authenticated_proto(proto))):
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
        session_cutoff = self.now - SESSION_US
        self.logins = self._live_logins()
        for key in [k for k, ts in self.auth_seen.items() if ts < session_cutoff]:
            del self.auth_seen[key]
        for key in [k for k, q in self.cwds.items() if not q or q[-1][0] < self.now - CWD_US]:
            del self.cwds[key]
        for key in [k for k, v in self.filter_links.items() if v[0] < self.now - FILTER_US]:
            del self.filter_links[key]

    def state(self) -> dict:
        """Everything still open: top-level key -> JSON-able data. Messages and sessions
        are the live `Keyed` dicts (their values are the entries; `openstate` saves the
        ones that changed); `_load` takes them back, or lists of their values."""
        return {
            "now": self.now,
            "messages": self.messages,
            "sessions": self.sessions,
            "closing": [[ts, list(key)] for ts, key in self.closing],
            "logins": [[*k, v] for k, v in self._live_logins().items()],
            "auth_seen": [[*k, ts] for k, ts in self.auth_seen.items()],
            "held": [[ts, host, qid, self.held.get((host, qid), [])]
                     for ts, host, qid in self.held_order if (host, qid) in self.held],
            "handoffs": [[ts, host, qid, self.handoffs[(host, qid)]]
                         for ts, host, qid in self.handoff_order if (host, qid) in self.handoffs],
            "cwds": [[k[0], k[1], [list(x) for x in q]] for k, q in self.cwds.items()],
            "php": self.php[self.php_head:],
            "php_seen": self.php_seen,
            "joins": [list(j) for j in self.joins],
            "filter_links": [[*k, *v] for k, v in self.filter_links.items()],
            "mta_hosts": self.mta_hosts,
            "php_joins": self.php_joins,
        }

    def _load(self, state: dict) -> None:
        self.now = state.get("now", 0)
        self.messages = _keyed(state.get("messages"), lambda m: (m["host"], m["queue_id"]))
        self.sessions = _keyed(state.get("sessions"),
                               lambda s: (s["host"], s["program"], s["pid"]))
        self.closing = deque((ts, tuple(key)) for ts, key in state.get("closing", []))
        self.logins = {(h, p, pid): v for h, p, pid, v in state.get("logins", [])}
        for login in self.logins.values():  # checkpoints written before `last_seen`
            login.setdefault("last_seen", login["ts"])
        self.auth_seen = {(h, p, pid): ts for h, p, pid, ts in state.get("auth_seen", [])}
        for ts, host, qid, events in state.get("held", []):
            self.held[(host, qid)] = events
            self.held_order.append((ts, host, qid))
        for ts, host, qid, msp in state.get("handoffs", []):
            self.handoffs[(host, qid)] = msp
            self.handoff_order.append((ts, host, qid))
        self.cwds = {(h, pid): deque(tuple(x) for x in q) for h, pid, q in state.get("cwds", [])}
        self.php = state.get("php", [])
        self.php_ts = [entry["ts"] for entry in self.php]
        self.php_seen = state.get("php_seen", False)
        self.joins = deque(tuple(j) for j in state.get("joins", []))
        self.filter_links = {(h, q): [ts, charge] for h, q, ts, charge in state.get("filter_links", [])}
        for m in sorted(self.messages.values(), key=lambda m: m["first_seen"]):
            if m.get("message_id"):
                self._index_mid(m)
        self.mta_hosts = state.get("mta_hosts", {})
        self.php_joins = state.get("php_joins") or _php_counts()
        self.next_due = 0  # recomputed at the first event


def _keyed(saved, key_of) -> Keyed:
    """A saved collection as a `Keyed` dict: as the store loaded it, or from a list of
    its values (a version 1 checkpoint)."""
    if isinstance(saved, Keyed):
        return saved
    return Keyed((key_of(v), v) for v in saved or ())


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


def _charge_of(parent: dict) -> dict:
    """What a message re-injected by a content filter takes over from `parent`."""
    charge = {name: parent.get(name) for name in _CHARGED}
    charge["filter_of"] = parent["queue_id"]
    return charge


def _charge(child: dict, charge: dict) -> None:
    child.update(charge)


def _set_script(msg: dict, path: str, rank: int) -> None:
    """The strongest source of a message's script wins: its full path, else a `cwd=`
    directory, else the X-PHP header's basename."""
    if rank >= msg.get("script_rank", 0):
        msg["script_path"] = path
        msg["script"] = path
        msg["script_rank"] = rank


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


def _php_counts() -> dict:
    return {"joined": 0, "unjoined": {}, "hosts": {}}


# why PHP entries stayed unjoined (the summary lists them by count)
_UNJOINED_WHY = {
    "ambiguous_host": "name no host (PHP's file form) and the MTA logs of their time come "
                      "from several hosts ({hosts}): ingest each server's PHP log with "
                      "--host <that server>",
    "other_host": "are of host {hosts}, which no MTA log of their time names: give the MTA "
                  "log's host with --host",
    "read_late": "were read when the ingested MTA logs had passed their time: give the PHP "
                 "log in the same run as the MTA log of its period (or an earlier run), and "
                 "logs of later periods after it",
    "no_mta_log": "fall in no ingested MTA log's time",
    "no_submission": "match no local submission (a mail() that failed, or mail sent another "
                     "way)",
}
UNJOINED_WARN_SHARE = 0.2  # warn when more than this share of the entries is unjoined


def php_join_report(counts: dict, waiting: int = 0) -> tuple[str | None, str | None]:
    """(summary line, warning or None) for PHP entries written joined / unjoined (the
    `php_joins` counts of a run or of the dataset)."""
    unjoined = counts.get("unjoined", {})
    n_unjoined = sum(unjoined.values())
    total = counts.get("joined", 0) + n_unjoined
    if not total and not waiting:
        return None, None
    reasons = sorted(unjoined.items(), key=lambda kv: (-kv[1], kv[0]))
    line = (f"PHP mail.log: {total:,} entries, {counts.get('joined', 0):,} joined to their "
            f"submission, {n_unjoined:,} unjoined"
            + (" (" + ", ".join(f"{r.replace('_', ' ')} {n:,}" for r, n in reasons) + ")"
               if reasons else "")
            + (f", {waiting:,} waiting for their submission" if waiting else ""))
    if n_unjoined < 3 or n_unjoined <= UNJOINED_WARN_SHARE * total:
        return line, None
    why = "; ".join(f"{n:,} " + _UNJOINED_WHY.get(r, r).format(
        hosts=", ".join(counts.get("hosts", {}).get(r, [])) or "?") for r, n in reasons)
    return line, (f"{n_unjoined:,} of {total:,} PHP mail.log entries "
                  f"({n_unjoined / total:.0%}) were not joined to a submission: {why}")


def pending_php_rows(state: dict) -> list[dict]:
    """Rows for the PHP mail.log entries a saved state still holds (not matched yet)."""
    rows = []
    for entry in state.get("php") or ():
        if not entry["claimed"]:
            row = {k: entry[k] for k in ("ts", "host", "script_path", "script_line", "recipient",
                                         "subject", "uid", "user")}
            row["identity"] = identity_of(row)
            rows.append(row)
    return rows


_COUNTERS = ("counters", "auth_ok", "auth_total", "commands_ok", "commands_total")
_ARRIVAL_FIELDS = ("client_name", "client_ip", "sasl_method", "sasl_username", "size", "nrcpt",
                   "message_id", "subject", "user", "uid")
