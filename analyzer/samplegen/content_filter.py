"""amavis as Postfix's content filter for outbound mail: the hand-over on
127.0.0.1:10024, the scan, the re-injection on 127.0.0.1:10025 as a new queue id (which
makes the deliveries), counted for the truth file's ``content_filter``."""

from __future__ import annotations

from collections import Counter

from .delivery import Delivery
from .wording import SPAM_SCORES, counters_text, delay_str


class ContentFilter(Delivery):
    """The hop through amavis."""

    def _init_state(self) -> None:
        super()._init_state()
        self.filter_handovers = 0  # deliveries to amavis on 10024 (one per recipient)
        self.reinjected = 0  # messages amavis handed back on 10025

    def through_amavis(
        self,
        qid: str,
        t: int,
        sender: str,
        rcpts: list,
        mid: str,
        size: int,
        client: str,
        track: Counter | None = None,
    ) -> None:
        """amavis as a content filter (``content_filter = smtp-amavis:[127.0.0.1]:10024``):
        Postfix hands the queued message ``qid`` to amavis, which scans it and re-injects it
        on 127.0.0.1:10025 (a new queue id, logged before amavis answers the hand-over),
        then the new message is delivered. ``client`` is amavis's view of the origin
        (``[ip]:port [ip]``, or ``[127.0.0.1]:port`` for pickup)."""
        r = self.rng.random
        emit = self.events.append
        k = len(rcpts)
        t_conn = t + 5 + int(r() * 30)
        scan = 80 + int(r() * 1400)
        t = t_conn + scan
        proc = self.reinject_smtpd.acquire(t)
        pre = f"postfix/smtpd[{proc[1]}]: "
        nq = self.qid()
        emit((t, "postfix/smtpd", f"{pre}connect from localhost[127.0.0.1]"))
        t += 1 + int(r() * 3)
        emit((t, "postfix/smtpd", f"{pre}{nq}: client=localhost[127.0.0.1]"))
        t_arr = t
        t += 1 + int(r() * 4)
        emit((t, "postfix/cleanup", f"{self.cleanup.get()}{nq}: message-id=<{mid}>"))
        nsize = size + 600 + int(r() * 400)  # amavis adds its X-Virus-Scanned / X-Spam headers
        t += 1 + int(r() * 3)
        emit(
            (
                t,
                "postfix/qmgr",
                f"{self.qmgr}{nq}: from=<{sender}>, size={nsize}, nrcpt={k} (queue active)",
            )
        )
        t_q = t
        emit(
            (
                t,
                "postfix/smtpd",
                f"{pre}disconnect from localhost[127.0.0.1] "
                f"{counters_text((('ehlo', 1, 1), ('mail', 1, 1), ('rcpt', k, k), ('data', 1, 1), ('quit', 1, 1)))}",
            )
        )
        proc[0] = t
        self.reinjected += 1
        am = self.amavis[int(r() * 2)]
        am[1] += 1
        if am[1] > 20:
            am[0], am[1] = self.new_pid(), 1
        to = ",".join(f"<{rc[0]}>" for rc in rcpts)
        t += 1 + int(r() * 2)
        emit(
            (
                t,
                "amavis",
                f"amavis[{am[0]}]: ({am[0]:05d}-{am[1]:02d}) Passed CLEAN {{RelayedOutbound}}, "
                f"ORIGINATING LOCAL {client} <{sender}> -> {to}, Queue-ID: {qid}, Message-ID: <{mid}>, "
                f"mail_id: {self._b64(12)}, Hits: {SPAM_SCORES[int(r() * 1500)]}, size: {size}, "
                f"queued_as: {nq}, {t - t_conn} ms",
            )
        )
        t += 1 + int(r() * 2)
        pre = self.smtp.get()
        for addr, _, _ in rcpts:  # one line per recipient, all with amavis's one reply
            emit(
                (
                    t,
                    "postfix/smtp",
                    f"{pre}{qid}: to=<{addr}>, relay=127.0.0.1[127.0.0.1]:10024, "
                    f"delay={delay_str(t - t_conn + 40)}, delays=0.04/0/0/{delay_str(t - t_conn)}, dsn=2.0.0, "
                    f"status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as {nq})",
                )
            )
        self.filter_handovers += k
        if qid in self.identity_of:  # the re-injection's bounces are the sender's too
            self.identity_of[nq] = self.identity_of[qid]
        emit((t + 1 + int(r() * 5), "postfix/qmgr", f"{self.qmgr}{qid}: removed"))
        self.deliver(nq, t_arr, t_q, sender, rcpts, mid, nsize, track)
