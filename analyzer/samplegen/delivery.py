"""The queue's side of a message: deliveries by smtp, lmtp, virtual and local, with
deferrals and retries, bounces, expiry after ``QUEUE_LIFETIME_MS``, the bounce notice
back to a local sender and ``removed``; and what every message is counted as for the
truth file (its origin, the identity it is charged to)."""

from __future__ import annotations

from collections import Counter

from .core import QUEUE_LIFETIME_MS
from .daemons import Daemons
from .wording import DELAY_TABLE, TLS_OUT, delay_str


def next_attempt(last: int, attempt: int, deferred: list, r, t_end: int) -> int:
    """When deferred recipients are tried again (ms): a growing backoff after connection
    failures (`x`), a few minutes otherwise; early near the end of the window (a flush).
    Shared by every MTA's generator."""
    if any(rc[2][-1] == "x" for rc in deferred):
        backoff = min(300_000 * 2 ** (attempt - 1), 4_000_000)
    else:
        backoff = 300_000 + int(r() * 1_500_000)
    t = last + backoff + int(r() * 60_000)
    if t > t_end - 100_000:
        t = max(t_end - 100_000, last + 1000)
    return t


class Delivery(Daemons):
    """Delivery attempts of queued messages and their bounce notices."""

    def _init_state(self) -> None:
        super()._init_state()
        self.lmtp_relay = f"{self.myhost}[private/dovecot-lmtp]"
        # counted where the lines are written, for the truth file
        self.origins = Counter({"sasl": 0, "local": 0, "smtp": 0, "bounce": 0})
        self.deliveries = Counter({"sent": 0, "deferred": 0, "bounced": 0})
        self.expired = 0
        self.identities: Counter = Counter()
        self.identity_of: dict[str, str] = {}  # queue id -> identity (its bounce notice's too)
        self.notices: Counter = Counter()  # bounce notices charged per identity

    def deliver(
        self,
        qid: str,
        t_arr: int,
        t: int,
        sender: str,
        rcpts: list,
        mid: str,
        size: int,
        track: Counter | None = None,
    ) -> int:
        """Deliver ``rcpts`` [(address, route, plan)] of a queued message.

        ``plan`` lists the outcome per attempt: ``s`` sent, ``b`` bounced, ``d`` deferred (then
        retried), ``x`` deferred until the message expires. Ends with the bounce notice (if any
        recipient bounced or the message expired) and ``removed``; returns the time of the
        last line.
        """
        r = self.rng.random
        emit = self.events.append
        counts = self.deliveries
        D = DELAY_TABLE
        attempt = 0
        pending = rcpts
        last = t
        notify = False
        while True:
            deferred = []
            for rc in pending:
                addr, route, plan = rc
                kind = route[0]
                outcome = plan[attempt] if attempt < len(plan) else plan[-1]
                b_ms = int(r() * 30)
                if kind == "smtp":
                    _, mx, ip, style = route
                    pre = self.smtp.get()
                    if outcome == "x" or (outcome == "d" and r() < 0.4):
                        c_ms = 30_000 + int(r() * 200)
                        td = t + b_ms + c_ms
                        emit(
                            (
                                td,
                                "postfix/smtp",
                                f"{pre}{qid}: to=<{addr}>, relay=none, delay={delay_str(td - t_arr)}, "
                                f"delays={delay_str(td - t_arr - b_ms - c_ms)}/{D[b_ms // 10]}/{delay_str(c_ms)}/0, dsn=4.4.1, "
                                f"status=deferred (connect to {mx}[{ip}]:25: Connection timed out)",
                            )
                        )
                        status = "deferred"
                        deferred.append(rc)
                    else:
                        c_ms = 60 + int(r() * 900)
                        x_ms = 50 + int(r() * (1500 if outcome == "s" else 400))
                        td = t + b_ms + c_ms + x_ms
                        if r() < 0.5:
                            emit(
                                (
                                    td - x_ms,
                                    "postfix/smtp",
                                    f"{pre}{'Untrusted' if style == 'queued' else 'Trusted'} "
                                    f"TLS connection established to {mx}[{ip}]:25: {TLS_OUT}",
                                )
                            )
                        head = (
                            f"{pre}{qid}: to=<{addr}>, relay={mx}[{ip}]:25, delay={delay_str(td - t_arr)}, "
                            f"delays={delay_str(td - t_arr - b_ms - c_ms - x_ms)}/{D[b_ms // 10]}/{D[c_ms // 10]}/"
                            f"{D[x_ms // 10]}, "
                        )
                        if outcome == "s":
                            if style == "queued":
                                resp = f"250 2.0.0 Ok: queued as {self._b64(10)}"
                            elif style == "gsmtp":
                                resp = f"250 2.0.0 OK  {self.epoch + td // 1000} {self._b64(12)}.{int(r() * 900)} - gsmtp"
                            else:
                                resp = f"250 2.6.0 <{mid}> [InternalId={int(r() * 1e13)}] Queued mail for delivery"
                            emit((td, "postfix/smtp", f"{head}dsn=2.0.0, status=sent ({resp})"))
                            status = "sent"
                        elif outcome == "b":
                            if r() < 0.75:
                                emit(
                                    (
                                        td,
                                        "postfix/smtp",
                                        f"{head}dsn=5.1.1, status=bounced (host {mx}[{ip}] said: "
                                        f"550 5.1.1 <{addr}>: Recipient address rejected: User unknown "
                                        f"(in reply to RCPT TO command))",
                                    )
                                )
                            else:
                                emit(
                                    (
                                        td,
                                        "postfix/smtp",
                                        f"{head}dsn=5.7.1, status=bounced (host {mx}[{ip}] said: "
                                        f"550 5.7.1 Message rejected as spam (in reply to end of DATA command))",
                                    )
                                )
                            status = "bounced"
                            notify = True
                        else:
                            emit(
                                (
                                    td,
                                    "postfix/smtp",
                                    f"{head}dsn=4.7.1, status=deferred (host {mx}[{ip}] said: "
                                    f"450 4.7.1 <{addr}>: Recipient address rejected: Greylisted, see "
                                    f"https://postgrey.example/ (in reply to RCPT TO command))",
                                )
                            )
                            status = "deferred"
                            deferred.append(rc)
                else:  # local delivery: always succeeds
                    c_ms = int(r() * 20)
                    x_ms = 10 + int(r() * 250)
                    td = t + b_ms + c_ms + x_ms
                    delays = (
                        f"delay={delay_str(td - t_arr)}, delays={delay_str(td - t_arr - b_ms - c_ms - x_ms)}/"
                        f"{D[b_ms // 10]}/{D[c_ms // 10]}/{D[x_ms // 10]}, dsn=2.0.0, status=sent"
                    )
                    if kind == "lmtp":
                        sess = self._b64(22)
                        emit(
                            (
                                td - 2,
                                "dovecot",
                                f"dovecot: lmtp({addr})<{self._pid - int(r() * 40)}><{sess}>: "
                                f"msgid=<{mid}>: saved mail to INBOX",
                            )
                        )
                        emit(
                            (
                                td,
                                "postfix/lmtp",
                                f"{self.lmtp.get()}{qid}: to=<{addr}>, relay={self.lmtp_relay}, "
                                f"{delays} (250 2.0.0 <{addr}> {sess} Saved)",
                            )
                        )
                    elif kind == "virtual":
                        emit(
                            (
                                td,
                                "postfix/virtual",
                                f"{self.virtual.get()}{qid}: to=<{addr}>, relay=virtual, "
                                f"{delays} (delivered to maildir)",
                            )
                        )
                    else:
                        _, to, orig = route
                        orig_s = f", orig_to=<{orig}>" if orig else ""
                        emit(
                            (
                                td,
                                "postfix/local",
                                f"{self.local.get()}{qid}: to=<{to}>{orig_s}, relay=local, "
                                f"{delays} (delivered to mailbox)",
                            )
                        )
                    status = "sent"
                counts[status] += 1
                if track is not None:
                    track[status] += 1
                if td > last:
                    last = td
            if not deferred:
                break
            attempt += 1
            t = next_attempt(last, attempt, deferred, r, self.t_end)
            if t - t_arr > QUEUE_LIFETIME_MS:
                emit(
                    (
                        t,
                        "postfix/qmgr",
                        f"{self.qmgr}{qid}: from=<{sender}>, status=expired, returned to sender",
                    )
                )
                self.expired += 1
                last = t
                notify = True
                break
            emit(
                (
                    t,
                    "postfix/qmgr",
                    f"{self.qmgr}{qid}: from=<{sender}>, size={size}, nrcpt={len(rcpts)} "
                    f"(queue active)",
                )
            )
            pending = deferred
        t = last + 1 + int(r() * 60)
        if notify and sender:
            t = self.bounce_notice(t, qid, sender, size)
        emit((t, "postfix/qmgr", f"{self.qmgr}{qid}: removed"))
        return t

    def _charge(self, qid: str, identity: str) -> None:
        self.identities[identity] += 1
        self.identity_of[qid] = identity

    def bounce_notice(self, t: int, qid: str, sender: str, size: int) -> int:
        """postfix/bounce creates a non-delivery notification for ``sender`` (a local user)."""
        r = self.rng.random
        emit = self.events.append
        nq = self.qid()
        t += 5 + int(r() * 40)
        emit(
            (
                t,
                "postfix/cleanup",
                f"{self.cleanup.get()}{nq}: message-id=<{self.stamp14(t)}.{nq}@{self.myhost}>",
            )
        )
        t_arr = t
        nsize = 2400 + min(size, 4000) + int(r() * 800)
        t += 1 + int(r() * 8)
        emit((t, "postfix/qmgr", f"{self.qmgr}{nq}: from=<>, size={nsize}, nrcpt=1 (queue active)"))
        t += int(r() * 4)
        emit(
            (
                t,
                "postfix/bounce",
                f"{self.bounce.get()}{qid}: sender non-delivery notification: {nq}",
            )
        )
        self.origins["bounce"] += 1
        if qid in self.identity_of:  # backscatter is charged to the bounced message's sender
            self._charge(nq, self.identity_of[qid])
            self.notices[self.identity_of[qid]] += 1
        t_removed = t + 1 + int(r() * 8)
        self.deliver(
            nq,
            t_arr,
            t_removed,
            "",
            [(sender, self.route_to(sender), "s")],
            f"{self.stamp14(t)}.{nq}@{self.myhost}",
            nsize,
        )
        return t_removed
