"""SMTP sessions on port 25 and the mail from the internet for hosted mailboxes:
postscreen, an smtpd process of the pool, amavis's inbound scan, the delivery; and the
planted reused queue id (an inbound message lends its queue id to a later one)."""

from __future__ import annotations

from .content_filter import ContentFilter
from .core import HOUR
from .names import FIRST_NAMES, SENDER_LOCALS, SERVER_IP
from .wording import INBOUND_COUNTERS, SPAM_SCORES, TLS_IN
from .world import pick_cum


class Inbound(ContentFilter):
    """smtpd sessions and inbound messages."""

    def _init_state(self) -> None:
        super()._init_state()
        self._conns: list[tuple[int, str]] = []  # smtpd connects for anvil statistics
        # reused queue id: the first inbound message after reuse_at[0] lends its queue id to
        # the first inbound message after reuse_at[1]
        span = self.t_end - self.t0
        self.reuse_at = (
            self.t0 + min(3 * HOUR, span * 15 // 100),
            self.t0 + min(15 * HOUR, span * 60 // 100),
        )
        self.reused_qid: str | None = None
        self._reuse_done = False
        self._reuse_pending = True

    def _postscreen_pass(self, t: int, ip: str) -> int:
        r = self.rng.random
        port = 1024 + int(r() * 64000)
        self.events.append(
            (
                t,
                "postfix/postscreen",
                f"{self._postscreen}CONNECT from [{ip}]:{port} to [{SERVER_IP}]:25",
            )
        )
        if r() < 0.88:
            t += 1 + int(r() * 30)
            self.events.append(
                (t, "postfix/postscreen", f"{self._postscreen}PASS OLD [{ip}]:{port}")
            )
        else:
            t += 6000 + int(r() * 100)
            self.events.append(
                (t, "postfix/postscreen", f"{self._postscreen}PASS NEW [{ip}]:{port}")
            )
        return t + 2 + int(r() * 30)

    def _open(self, t: int, svc: str, name: str, ip: str, claimed: str | None = None):
        proc = self.smtpd_pools[svc].acquire(t)
        prog = f"postfix/{svc}"
        pre = f"{prog}[{proc[1]}]: "
        if claimed:
            self.events.append(
                (t, prog, f"{pre}warning: hostname {claimed} does not resolve to address {ip}")
            )
        self.events.append((t, prog, f"{pre}connect from {name}[{ip}]"))
        self._conns.append((t, f"{'smtp' if svc == 'smtpd' else svc.split('/')[0]}:{ip}"))
        return proc, prog, pre

    def _inbound_qid(self, t: int) -> str:
        if self.reused_qid is None and t >= self.reuse_at[0]:
            self.reused_qid = self.qid()
            return self.reused_qid
        if self.reused_qid is not None and not self._reuse_done and t >= self.reuse_at[1]:
            self._reuse_done = True
            self._reuse_pending = False
            return self.reused_qid
        return self.qid()

    def inbound(self, t: int) -> None:
        """Mail from the internet for hosted mailboxes (postscreen -> smtpd -> amavis -> lmtp)."""
        r = self.rng.random
        emit = self.events.append
        name, ip, helo, sdom, claimed, client, identity, anvil_key = self.mtas[
            pick_cum(self._mta_cum, r())
        ]
        t = self._postscreen_pass(t, ip)
        proc = self.smtpd_pools["smtpd"].acquire(t)
        pre = f"postfix/smtpd[{proc[1]}]: "
        if claimed:
            emit(
                (
                    t,
                    "postfix/smtpd",
                    f"{pre}warning: hostname {claimed} does not resolve to address {ip}",
                )
            )
        emit((t, "postfix/smtpd", f"{pre}connect from {client}"))
        self._conns.append((t, anvil_key))
        tls = r() < 0.7
        if tls:
            t += 80 + int(r() * 300)
            emit(
                (
                    t,
                    "postfix/smtpd",
                    f"{pre}Anonymous TLS connection established from {client}: {TLS_IN}",
                )
            )
        t += 200 + int(r() * 1300)
        if self._reuse_pending and t >= self.reuse_at[0]:
            qid = self._inbound_qid(t)
        else:
            qid = self.qid()
        emit((t, "postfix/smtpd", f"{pre}{qid}: client={client}"))
        self.origins["smtp"] += 1
        self._charge(qid, identity)
        t_arr = t
        x = r()
        if x < 0.85:
            rcpts = [
                self.postmaster_rcpt
                if r() < 0.03
                else self.mailbox_rcpts[pick_cum(self._mailbox_cum, r())]
            ]
            to = f"<{rcpts[0][0]}>"
        else:
            rcpts = []
            for _ in range(2 if x < 0.95 else 3):
                rc = (
                    self.postmaster_rcpt
                    if r() < 0.03
                    else self.mailbox_rcpts[pick_cum(self._mailbox_cum, r())]
                )
                if rc not in rcpts:
                    rcpts.append(rc)
            to = ",".join([f"<{rc[0]}>" for rc in rcpts])
        x = r()
        sender = (
            ""
            if x < 0.02
            else (
                f"{SENDER_LOCALS[int(r() * len(SENDER_LOCALS))]}@{sdom}"
                if x < 0.7
                else f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]}@{sdom}"
            )
        )
        h = self._hex(24)
        mid = f"{h[:16]}.{h[16:]}@{sdom}"
        size = 1500 + int(r() ** 3 * 250_000)
        t += 40 + int(r() * 200)
        emit((t, "postfix/cleanup", f"{self.cleanup.get()}{qid}: message-id=<{mid}>"))
        scan = 120 + int(r() * 1200)
        t += scan
        am = self.amavis[int(r() * 2)]
        am[1] += 1
        if am[1] > 20:
            am[0], am[1] = self.new_pid(), 1
        emit(
            (
                t,
                "amavis",
                f"amavis[{am[0]}]: ({am[0]:05d}-{am[1]:02d}) Passed CLEAN {{RelayedInbound}}, "
                f"[{ip}]:{1024 + int(r() * 64000)} [{ip}] <{sender}> -> {to}, Queue-ID: {qid}, "
                f"Message-ID: <{mid}>, mail_id: {self._b64(12)}, Hits: {SPAM_SCORES[int(r() * 5000)]}, "
                f"size: {size}, {scan - 20} ms",
            )
        )
        t += 5 + int(r() * 50)
        k = len(rcpts)
        emit(
            (
                t,
                "postfix/qmgr",
                f"{self.qmgr}{qid}: from=<{sender}>, size={size}, nrcpt={k} (queue active)",
            )
        )
        t_disc = t + 10 + int(r() * 250)
        emit((t_disc, "postfix/smtpd", f"{pre}disconnect from {client} {INBOUND_COUNTERS[tls, k]}"))
        proc[0] = t_disc
        self.deliver(qid, t_arr, t, sender, rcpts, mid, size)
